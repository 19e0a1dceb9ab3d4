package inbox

import (
	"fmt"
	"html/template"
)

// pageNames are the page templates; each is parsed with layout.html.
var pageNames = []string{"login", "setup", "conversations", "thread", "list", "message", "delete", "phones", "removephone", "status", "backup", "error"}

func parseTemplates() (map[string]*template.Template, error) {
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("inbox: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}
