package ownersms

import (
	"fmt"
	"sort"
	"strings"

	"github.com/homemmsc/homemmsc/internal/bytesize"
)

// Item is one stored MMS, as much of it as a notification tells.
type Item struct {
	ID      string   // the store's message ID
	From    string   // store.Sender.Label: the paired phone's name, else "+1555… (claimed)"; may be empty
	Subject string   // may be empty
	Parts   []string // content types of the message's parts
	Size    int64    // bytes
	// Kept lists the recipients the message was not delivered to because
	// they are not paired phones (issue 7): it is kept for the owner only.
	// Empty when delivery to paired phones is off.
	Kept []string
}

// maxText caps a notification: three SMS parts of UCS-2 text at most.
const maxText = 200

// compose writes the text for a batch of items: one message reads
// `MMS from Alice: "Hi" - 2 photos, 1 text, 45 KB <link>`; several read
// `10 new MMS: Alice 6, Bob 4 - 12 photos, 3 texts, 4.1 MB <link>`.
func compose(items []Item, link string) string {
	var b strings.Builder
	if len(items) == 1 {
		it := items[0]
		fmt.Fprintf(&b, "MMS from %s", sender(it.From))
		if s := strings.TrimSpace(it.Subject); s != "" {
			fmt.Fprintf(&b, ": %q", clip(s, 40))
		}
	} else {
		fmt.Fprintf(&b, "%d new MMS: %s", len(items), senders(items))
	}
	if c := contents(items); c != "" {
		b.WriteString(" - " + c)
	}
	if k := keptText(items); k != "" {
		b.WriteString(" - " + k)
	}
	text := clip(b.String(), maxText-len(link)-1)
	if link != "" {
		text += " " + link
	}
	return text
}

// keptText says which messages stay here only: "kept here, not sent to
// +15551234567" for one message, "2 kept here only" for several.
func keptText(items []Item) string {
	if len(items) == 1 {
		k := items[0].Kept
		switch len(k) {
		case 0:
			return ""
		case 1:
			return "kept here, not sent to " + clip(k[0], 20)
		}
		return fmt.Sprintf("kept here, not sent to %s and %d more", clip(k[0], 20), len(k)-1)
	}
	n := 0
	for _, it := range items {
		if len(it.Kept) > 0 {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d kept here only", n)
}

func sender(from string) string {
	if strings.TrimSpace(from) == "" {
		return "unknown sender"
	}
	return clip(strings.TrimSpace(from), 30)
}

// senders lists who sent how many, most first.
func senders(items []Item) string {
	count := map[string]int{}
	var order []string
	for _, it := range items {
		s := sender(it.From)
		if count[s] == 0 {
			order = append(order, s)
		}
		count[s]++
	}
	sort.SliceStable(order, func(i, j int) bool { return count[order[i]] > count[order[j]] })
	var parts []string
	for i, s := range order {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("%d others", len(order)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", s, count[s]))
	}
	return strings.Join(parts, ", ")
}

// contents says what the items hold: "2 photos, 1 text, 45 KB".
func contents(items []Item) string {
	kinds := []struct {
		one, many string
		n         int
	}{{"photo", "photos", 0}, {"video", "videos", 0}, {"audio clip", "audio clips", 0}, {"text", "texts", 0}, {"file", "files", 0}}
	var size int64
	for _, it := range items {
		size += it.Size
		for _, ct := range it.Parts {
			if k := kind(ct); k >= 0 {
				kinds[k].n++
			}
		}
	}
	var parts []string
	for _, k := range kinds {
		switch {
		case k.n == 1:
			parts = append(parts, "1 "+k.one)
		case k.n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", k.n, k.many))
		}
	}
	if size > 0 {
		parts = append(parts, bytesize.Human(size))
	}
	return strings.Join(parts, ", ")
}

// kind maps a content type to photos (0), videos, audio, texts, other
// files (4); SMIL layout is not counted (-1).
func kind(ct string) int {
	ct = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	switch {
	case strings.HasPrefix(ct, "image/"):
		return 0
	case strings.HasPrefix(ct, "video/"):
		return 1
	case strings.HasPrefix(ct, "audio/"):
		return 2
	case ct == "text/plain":
		return 3
	case ct == "application/smil" || ct == "":
		return -1
	}
	return 4
}

// clip shortens s to at most n runes, ending with "..." when cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n || n < 4 {
		return s
	}
	return string(r[:n-3]) + "..."
}
