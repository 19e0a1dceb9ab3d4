package flagvalue

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
)

// Env sets flags from environment variables Prefix<NAME> (upper case,
// '-' as '_'), for systemd's EnvironmentFile. The variable sets the
// default and a flag on the command line wins.
type Env struct {
	Prefix string // e.g. "HOMEMMSC_"
	// OneShot are the flags that make the process do one thing and exit:
	// they have no environment variable, or a stray line in systemd's
	// EnvironmentFile would turn the service into that one-shot command.
	OneShot []string
}

// Name is the environment variable of a flag: "max-size" → PREFIX_MAX_SIZE.
func (e Env) Name(flagName string) string {
	return e.Prefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// IsOneShot says whether flagName is one of e.OneShot.
func (e Env) IsOneShot(flagName string) bool { return slices.Contains(e.OneShot, flagName) }

// Apply sets each flag from its environment variable, as its default:
// flags parsed afterwards override it. The one-shot flags have no variable.
func (e Env) Apply(fs *flag.FlagSet, getenv func(string) string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		v := getenv(e.Name(f.Name))
		if e.IsOneShot(f.Name) || v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", e.Name(f.Name), v, err))
			return
		}
		f.DefValue = v
	})
	return errors.Join(errs...)
}
