// Command smsexport writes the appliance's stored messages as an SMS
// Backup & Restore file (internal/smsxml), for restoring them into an
// Android phone's messaging app. The inbox's backup page offers the same
// file while the service runs; this command reads the store directly, so
// the service must be stopped first (the store allows one process):
//
//	sudo systemctl stop homemmsc
//	sudo smsexport -data /var/lib/homemmsc -from 2026-01-01 -o sms-2026.xml
//	sudo systemctl start homemmsc
//
// -from and -to are inclusive dates in local time, both optional. The
// contact names are those of the paired phones in -data/phones.json. The
// file is written under a temporary name and renamed when whole.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/homemmsc/homemmsc/internal/phones"
	"github.com/homemmsc/homemmsc/internal/smsxml"
	"github.com/homemmsc/homemmsc/internal/store"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "smsexport:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("smsexport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "mmsc-data", "the appliance's -data directory (the message store)")
	from := fs.String("from", "", "first day to export, YYYY-MM-DD (empty = from the first message)")
	to := fs.String("to", "", "last day to export, YYYY-MM-DD (empty = to the last message)")
	out := fs.String("o", "", "file to write (empty = standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opt, err := dates(*from, *to)
	if err != nil {
		return err
	}
	st, err := store.Open(store.Config{Dir: *data, MinFree: -1})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w: the appliance is running; download /backup.xml from its inbox, or stop it first", err)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	opt.Names = names(*data)
	res, err := write(*out, stdout, func(w io.Writer) (smsxml.Result, error) { return smsxml.Export(w, st, opt) })
	if err != nil {
		return err
	}
	for _, id := range res.Skipped {
		fmt.Fprintf(stderr, "smsexport: left out %s: its PDU cannot be read or decoded\n", id)
	}
	fmt.Fprintf(stderr, "smsexport: %d messages\n", res.Messages)
	return nil
}

// dates parses -from and -to into the export's bounds: from the start of
// the first day to the end of the last.
func dates(from, to string) (smsxml.Options, error) {
	var opt smsxml.Options
	if from != "" {
		d, err := time.ParseInLocation(time.DateOnly, from, time.Local)
		if err != nil {
			return opt, fmt.Errorf("-from: %w", err)
		}
		opt.From = d
	}
	if to != "" {
		d, err := time.ParseInLocation(time.DateOnly, to, time.Local)
		if err != nil {
			return opt, fmt.Errorf("-to: %w", err)
		}
		opt.To = d.AddDate(0, 0, 1)
	}
	return opt, nil
}

// names returns the paired phones' names by number, or nil when there is
// no phone registry in dir.
func names(dir string) func(string) string {
	reg, err := phones.Open(filepath.Join(dir, "phones.json"), nil)
	if err != nil {
		return nil
	}
	return func(n string) string {
		if p, ok := reg.ByNumber(n); ok {
			return p.Name
		}
		return ""
	}
}

// write runs export into path (through a temporary file renamed when
// whole) or into stdout when path is empty.
func write(path string, stdout io.Writer, export func(io.Writer) (smsxml.Result, error)) (smsxml.Result, error) {
	if path == "" {
		return export(stdout)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".smsexport-*")
	if err != nil {
		return smsxml.Result{}, err
	}
	defer os.Remove(f.Name()) // after the rename, a no-op
	res, err := export(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	return res, err
}
