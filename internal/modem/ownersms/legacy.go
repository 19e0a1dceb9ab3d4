package ownersms

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/homemmsc/homemmsc/internal/atomicfile"
	"github.com/homemmsc/homemmsc/internal/outbox"
)

// legacyEntry is a text queued by a version before the shared outbox:
// a file out-<name>.json, with the parts the modem accepted in sent.log.
type legacyEntry struct {
	To       string    `json:"to"`
	Text     string    `json:"text"`
	Ref      uint16    `json:"ref"`
	Sent     int       `json:"sent"`
	Attempts int       `json:"attempts"`
	Created  time.Time `json:"created"`
	Items    []string  `json:"items"`
}

// importLegacy moves the texts an older version left in Dir into the
// outbox, keeping the parts already accepted, records their messages in
// the ledger, then removes their files and sent.log.
func (n *Notifier) importLegacy() error {
	names, _ := filepath.Glob(n.path("out-*.json"))
	if len(names) == 0 {
		return nil
	}
	sent := legacySent(n.path("sent.log"))
	for _, p := range names {
		var e legacyEntry
		name := filepath.Base(p)
		if err := atomicfile.ReadJSON(p, &e); err != nil {
			os.Rename(p, p+".bad")
			continue
		}
		payload, err := json.Marshal(text{To: e.To, Text: e.Text, Ref: e.Ref, Items: e.Items})
		if err != nil {
			return err
		}
		id := strings.TrimSuffix(strings.TrimPrefix(name, "out-"), ".json")
		it := outbox.Item{ID: id, Kind: Kind, Payload: payload, Created: e.Created, Attempts: e.Attempts, Steps: max(e.Sent, sent[name])}
		if err := n.box.Add(it); err != nil {
			return err
		}
		for _, id := range e.Items {
			if !n.notified[id] {
				n.notified[id] = true
				n.st.Notified = append(n.st.Notified, id)
			}
		}
		if err := atomicfile.WriteJSON(n.path("state.json"), n.st, true); err != nil {
			return err
		}
		if err := atomicfile.Remove(p, true); err != nil {
			return err
		}
		n.log.Info("ownersms: moved a queued text into the outbox", "to", e.To)
	}
	return atomicfile.Remove(n.path("sent.log"), true)
}

// legacySent reads an old sent.log: entry name → parts accepted.
func legacySent(path string) map[string]int {
	sent := map[string]int{}
	f, err := os.Open(path)
	if err != nil {
		return sent
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, count, ok := strings.Cut(sc.Text(), " ")
		if k, err := strconv.Atoi(count); ok && err == nil && k > sent[name] {
			sent[name] = k
		}
	}
	return sent
}
