package inbox

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/homemmsc/homemmsc/internal/phones"
)

const maxPhoneName = 64

type phoneRow struct {
	Name, Number, Token, URL, QR, Paired string
	Fixed, Fallback                      bool
	LimitKB                              int // the phone's size limit (phones.Phone.Limit), in KB
	Visit                                *visitView
	Test                                 *reachView // the running or last reachability test
	TestOff                              string     // why the test button is disabled; "" = enabled
}

type visitView struct {
	Time, Remote, UserAgent, Profile, What string
}

type phonesView struct {
	Phones    []phoneRow
	Available bool
	Added     *phoneRow // the phone just paired, shown at the top
	Error     string
	Name      string // the form's values after an error
	Number    string
}

// phonesPage lists the phones; ?added=<number> shows the one just
// paired at the top, with its MMSC URL and QR code, so the page a
// pairing redirects to can be reloaded (the number is in the URL, never
// the token).
func (h *Handler) phonesPage(w http.ResponseWriter, r *http.Request) {
	var v phonesView
	if n := r.URL.Query().Get("added"); n != "" && h.cfg.Phones != nil {
		if p, ok := h.cfg.Phones.ByNumber(n); ok {
			added := h.phoneRow(r, p)
			v.Added = &added
		}
	}
	h.renderPhones(w, r, http.StatusOK, v)
}

// toPhones answers a GET of a form's address (a bookmark, a reload of
// an old answer) with the phones page rather than "Method Not Allowed".
func toPhones(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/phones", http.StatusSeeOther)
}

func (h *Handler) renderPhones(w http.ResponseWriter, r *http.Request, status int, v phonesView) {
	if h.cfg.Phones != nil {
		v.Available = true
		for _, p := range h.cfg.Phones.List() {
			v.Phones = append(v.Phones, h.phoneRow(r, p))
		}
	}
	h.render(w, r, status, "phones", view{Title: "Phones", Nav: "phones", Data: v})
}

func (h *Handler) mmscURL(r *http.Request, token string) string {
	base := ""
	if h.cfg.MMSCURL != nil {
		base = h.cfg.MMSCURL(r)
	} else {
		base = "http://" + r.Host
	}
	return strings.TrimRight(base, "/") + "/mms/" + token
}

func (h *Handler) phoneRow(r *http.Request, p phones.Phone) phoneRow {
	row := phoneRow{
		Name: p.Name, Number: p.Number, Token: p.Token, Fixed: p.Fixed,
		URL: h.mmscURL(r, p.Token), QR: "/phones/qr/" + p.Token, Fallback: p.Fallback,
		LimitKB: p.Limit() >> 10, Test: h.reachView(p.Token),
	}
	if h.reach == nil {
		row.TestOff = h.testOff()
	}
	if !p.Paired.IsZero() {
		row.Paired = p.Paired.Local().Format("2006-01-02 15:04")
	}
	if v, ok := h.cfg.Phones.LastVisit(p.Token); ok {
		row.Visit = &visitView{
			Time: v.Time.Local().Format("2006-01-02 15:04:05"), Remote: v.Remote,
			UserAgent: v.UserAgent, Profile: v.Profile, What: v.What,
		}
	}
	return row
}

func (h *Handler) addPhone(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Phones == nil {
		h.fail(w, r, http.StatusNotFound, "Pairing is not available.")
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	number := strings.TrimSpace(r.PostFormValue("number"))
	again := func(msg string) {
		h.renderPhones(w, r, http.StatusBadRequest, phonesView{Error: msg, Name: name, Number: number})
	}
	switch {
	case name == "" || len(name) > maxPhoneName:
		again("Give the phone a name (at most 64 characters).")
		return
	case !phones.ValidNumber(phones.Normalize(number)):
		again("The number should be in international form, like +447700900123.")
		return
	}
	p, err := h.cfg.Phones.Add(name, number)
	if err != nil {
		h.log.Warn("inbox: pairing a phone", "err", err)
		again("The phone could not be added: " + err.Error())
		return
	}
	h.log.Info("inbox: phone paired", "name", p.Name, "number", p.Number)
	// Post/Redirect/Get: a reload shows the page again rather than
	// pairing the number a second time.
	h.done(w, r, "/phones?"+url.Values{"added": {p.Number}}.Encode(), p.Name+" is paired.")
}

type removeView struct {
	Name, Number, Token string
}

// removePage asks before a phone is removed: which phone, and what
// removing it does.
func (h *Handler) removePage(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Phones == nil || r.URL.Query().Get("number") == "" {
		toPhones(w, r)
		return
	}
	p, ok := h.cfg.Phones.ByNumber(r.URL.Query().Get("number"))
	if !ok || p.Fixed {
		h.renderPhones(w, r, http.StatusNotFound, phonesView{Error: "No such paired phone (already removed?)."})
		return
	}
	h.render(w, r, http.StatusOK, "removephone", view{Title: "Remove a phone", Nav: "phones",
		Data: removeView{Name: p.Name, Number: p.Number, Token: p.Token}})
}

func (h *Handler) removePhone(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Phones == nil {
		h.fail(w, r, http.StatusNotFound, "Pairing is not available.")
		return
	}
	token := r.PostFormValue("token")
	p, _ := h.cfg.Phones.ByToken(token)
	err := h.cfg.Phones.Remove(token)
	switch {
	case errors.Is(err, phones.ErrFixed):
		h.renderPhones(w, r, http.StatusConflict, phonesView{Error: "That phone comes from the -phones setting: remove it there."})
		return
	case errors.Is(err, phones.ErrNotFound):
		h.renderPhones(w, r, http.StatusNotFound, phonesView{Error: "No such phone (already removed?)."})
		return
	case err != nil:
		h.log.Error("inbox: removing a phone", "err", err)
		h.renderPhones(w, r, http.StatusInternalServerError, phonesView{Error: "The phone could not be removed: " + err.Error()})
		return
	}
	if h.reach != nil {
		h.reach.forget(token)
	}
	h.log.Info("inbox: phone removed", "name", p.Name, "number", p.Number)
	h.done(w, r, "/phones", p.Name+" was removed: its MMSC URL no longer works.")
}

// phoneQR serves the QR code of a phone's MMSC URL as a PNG.
func (h *Handler) phoneQR(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Phones == nil {
		http.NotFound(w, r)
		return
	}
	p, ok := h.cfg.Phones.ByToken(r.PathValue("token"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	png, err := qrcode.Encode(h.mmscURL(r, p.Token), qrcode.Medium, 256)
	if err != nil {
		h.log.Error("inbox: QR code", "err", err)
		http.Error(w, "QR code failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(png)
}
