// Command mmsexport writes every stored message to a folder as plain
// files, laid out as the inbox's backup zip is: README.txt, and one
// folder per message (named after its id) holding message.mms, the PDU
// exactly as the phone sent it, meta.json, what the appliance recorded,
// and the parts under safe names. Nothing of it needs this project's
// code to read. The store allows one process, so the service must be
// stopped first (or download the backup zip from the inbox instead):
//
//	sudo systemctl stop homemmsc
//	sudo mmsexport -data /var/lib/homemmsc -o /media/usb/mms
//	sudo systemctl start homemmsc
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/homemmsc/homemmsc/internal/inbox"
	"github.com/homemmsc/homemmsc/internal/store"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mmsexport:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("mmsexport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "mmsc-data", "the appliance's -data directory (the message store)")
	out := fs.String("o", "", "folder to write the messages to (created if missing)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return errors.New("usage: mmsexport -data DIR -o FOLDER")
	}
	st, err := store.Open(store.Config{Dir: *data, MinFree: -1})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w: the appliance is running; download the backup zip from its inbox, or stop it first", err)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := inbox.ExportDir(st, st.IDs(store.Query{}), *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "mmsexport: %d messages written to %s\n", n, *out)
	return nil
}
