package ownersms

import (
	"fmt"
	"strings"

	"github.com/homemmsc/homemmsc/internal/modem/sms"
)

// ParseOwners reads the -owner flag: numbers separated by commas, each
// one an SMS can be sent to.
func ParseOwners(s string) ([]string, error) {
	var owners []string
	for _, o := range strings.Split(s, ",") {
		o = strings.Join(strings.Fields(o), "")
		if o == "" {
			continue
		}
		if _, err := sms.Encode(sms.Message{To: o, Text: "x"}); err != nil {
			return nil, fmt.Errorf("-owner %q: %w", o, err)
		}
		owners = append(owners, o)
	}
	return owners, nil
}
