package inbox

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/store"
)

// TestConversations: the first page groups messages by correspondent,
// numbers matched as the registry matches them, newest first, with
// counts; a thread shows them in time order, the household's on its
// side, and showing them marks them seen.
func TestConversations(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	e.putTo([]string{"+15557654321"}, "Dinner?", anna, textPart("Sunday?"))
	e.stored.Add(time.Minute)
	e.putTo([]string{"+447700900123"}, "Re: Dinner?", store.Sender{Number: "+15557654321", Source: "query"}, textPart("Yes"))
	e.stored.Add(time.Minute)
	e.putTo([]string{"0015557654321"}, "PS", anna, textPart("bring cake")) // the same number, another form
	e.stored.Add(time.Minute)
	last := e.putTo([]string{"+15559990000", "+15558880000"}, "Group", anna, textPart("hi all"))
	body := e.get("/").Body.String()
	mustContain(t, body, "&#43;15557654321", "3 messages", "&#43;15558880000, &#43;15559990000", "Group", "4 new")
	if strings.Count(body, "<li class=") != 2 {
		t.Errorf("%d conversations, want 2:\n%s", strings.Count(body, "<li class="), body)
	}
	mustContain(t, body, "Group</span>", "PS</span>")
	if strings.Index(body, "Group</span>") > strings.Index(body, "PS</span>") { // (a bare "PS" may be in the random CSRF token)
		t.Error("the conversation with the newest message is not first")
	}
	// Without a subject, the row shows the start of the text, on one line.
	e.putTo([]string{"+15551112222"}, "", anna, textPart("just the text\nand its second line"))
	mustContain(t, e.get("/").Body.String(), "just the text and its second line")
	// Naming the correspondent when the number is paired.
	if _, err := e.reg.Add("Ben", "+1 555 765 4321"); err != nil {
		t.Fatal(err)
	}
	mustContain(t, e.get("/").Body.String(), ">Ben<")

	th := e.get(threadURL("+15557654321", 1)).Body.String()
	iDinner, iRe, iPS := strings.Index(th, "Sunday?"), strings.Index(th, "Yes"), strings.Index(th, "bring cake")
	if iDinner < 0 || iRe < iDinner || iPS < iRe {
		t.Errorf("thread order %d %d %d: want oldest first", iDinner, iRe, iPS)
	}
	if strings.Count(th, `class="bubble ours`) != 2 || strings.Count(th, `class="bubble theirs`) != 1 {
		t.Errorf("want 2 bubbles from the household and 1 from them:\n%s", th)
	}
	mustContain(t, th, `class="claimed"`) // their message only claims the number
	if st := e.st.Stats(); st.New != 2 {
		t.Errorf("after the thread, %d new; want 2 (the group message and the one without a subject)", st.New)
	}
	if m, _ := e.st.Get(last.ID); m.Seen {
		t.Error("a message of another conversation was marked seen")
	}
	if w := e.get(threadURL("+19995550000", 1)); w.Code != http.StatusNotFound {
		t.Errorf("a conversation with nobody: %d", w.Code)
	}
}

// TestSenderNames: a phone paired as "07700 900123" names the messages
// its token proved from "+447700900123" (numbers match as the README
// says); a message that only claims that number is shown as the number,
// marked claimed, on the list and on its page.
func TestSenderNames(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	if _, err := e.reg.Add("Anna's phone", "07700 900123"); err != nil {
		t.Fatal(err)
	}
	proven := e.put("proven", anna, textPart("x"))
	claimed := e.put("claimed", store.Sender{Number: "+447700900123", Name: "Anna", Source: "query"}, textPart("y"))
	list := e.get("/messages").Body.String()
	mustContain(t, list, "Anna&#39;s phone", "&#43;447700900123", `class="claimed"`)
	if n := strings.Count(list, `class="claimed"`); n != 1 {
		t.Errorf("%d claimed marks, want 1", n)
	}
	mustContain(t, e.get("/m/"+proven.ID).Body.String(), "Anna&#39;s phone", "(&#43;447700900123)")
	page := e.get("/m/" + claimed.ID).Body.String()
	mustContain(t, page, "&#43;447700900123", `class="claimed"`, "no paired phone's token proved it")
	mustNotContain(t, page, "Anna&#39;s phone", ">Anna<")
}

// TestOldFreeTextFrom: a free-text From that an older version stored as
// the sender is not shown as one.
func TestOldFreeTextFrom(t *testing.T) {
	e := newEnv(t, false)
	e.login()
	m := e.put("old", store.Sender{Number: "<b>+1555</b>evil", Source: "from"}, textPart("x"))
	for _, p := range []string{"/", "/messages", "/m/" + m.ID} {
		body := e.get(p).Body.String()
		mustContain(t, body, "unknown sender")
		mustNotContain(t, body, "evil")
	}
}
