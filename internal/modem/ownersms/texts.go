package ownersms

import (
	"context"
	"encoding/json"

	"github.com/homemmsc/homemmsc/internal/modem/sms"
	"github.com/homemmsc/homemmsc/internal/outbox"
)

// text is the payload of an owner's SMS in the outbox.
type text struct {
	To    string   `json:"to"`
	Text  string   `json:"text"`
	Ref   uint16   `json:"ref"`   // concatenation reference, the same for every part and attempt
	Items []string `json:"items"` // the store IDs it tells of
}

// texts sends the owner's SMS for the outbox, part by part: each part
// the modem accepts is an outbox step, so a restart resumes at the next
// part and never repeats one.
type texts struct {
	n    *Notifier
	send Sender
}

func (t texts) Send(ctx context.Context, it outbox.Item, step func() error) error {
	var p text
	if err := json.Unmarshal(it.Payload, &p); err != nil {
		return err
	}
	pdus, err := sms.Encode(sms.Message{To: p.To, Text: p.Text, Ref: p.Ref})
	if err != nil {
		return err
	}
	for i := it.Steps; i < len(pdus); i++ {
		if _, err := t.send.Send(ctx, pdus[i]); err != nil {
			return err
		}
		if err := step(); err != nil {
			return err
		}
	}
	t.n.log.Info("ownersms: sent", "to", p.To, "parts", len(pdus))
	return nil
}

func (t texts) Done(it outbox.Item, err error) {
	if err != nil {
		var p text
		json.Unmarshal(it.Payload, &p)
		t.n.log.Error("ownersms: dropped", "to", p.To, "text", p.Text, "attempts", it.Attempts+1, "err", err)
	}
}
