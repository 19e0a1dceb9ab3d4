package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/homemmsc/homemmsc/internal/wear"
)

// compareSpec is the -compare matrix.
type compareSpec struct {
	Sizes, Clients   []int
	Warmup, Duration time.Duration
	Rounds           int    // measurements of each row and server, pooled
	Bin              string // prebuilt appliance; empty = build it
	SeedDir          string
	NoImage          bool // run on the working disk even where an image could be built
	Out              io.Writer
}

// The designs of the matrix, in the order each round runs them.
const (
	nameOurs  = "homemmsc"
	nameSeed  = "seed-php"
	nameLog   = "log"
	nameFloor = "http-floor"
)

// matrix holds the pooled rows of each design, one per size × clients,
// in the same order for every design (seed is empty when it was
// skipped).
type matrix struct {
	ours, seed, log, floor []row
}

// A rowRunner measures one row of one design and returns the row and
// the clean-up that deletes its files.
type rowRunner func(rs rowSpec) (row, func(), error)

// runCompare runs the matrix against our binary, the two floors and,
// when it can run here, the seed page, then prints the tables. It
// returns false when a target of the issue was missed.
func runCompare(ctx context.Context, cs compareSpec) (bool, error) {
	bin, self, done, err := binaries(ctx, cs)
	if err != nil {
		return false, err
	}
	defer done()
	dev, closeDev, why := openImage(cs)
	defer closeDev()
	base := ""
	if dev != nil {
		base = dev.Dir
		fmt.Fprintf(cs.Out, "every design runs on one ext4+journal image (noatime) on a loop device, %s\n", dev.Dir)
	} else {
		fmt.Fprintf(cs.Out, "no loop-device image (%s): the matrix runs on the working disk, without device bytes\n", why)
	}
	skip := seedAvailable(cs.SeedDir)
	designs := []struct {
		name string
		run  rowRunner
	}{
		{nameOurs, func(rs rowSpec) (row, func(), error) {
			return oneRow(ctx, cs.Out, rs, dev, func() (*server, error) { return startAppliance(ctx, bin, base) })
		}},
		{nameSeed, func(rs rowSpec) (row, func(), error) {
			return oneRow(ctx, cs.Out, rs, dev, func() (*server, error) { return startSeed(ctx, cs.SeedDir, base) })
		}},
		{nameLog, func(rs rowSpec) (row, func(), error) { return logRow(ctx, cs.Out, self, base, dev, rs) }},
		{nameFloor, func(rs rowSpec) (row, func(), error) {
			return oneRow(ctx, cs.Out, rs, dev, func() (*server, error) { return startFloorHTTP(ctx, self, base) })
		}},
	}
	// On the image each row's files go as soon as it is measured: with
	// the journal, ext4 does not scan past recently freed inodes when it
	// creates files (it does so only without a journal, as on the VM's
	// own disk), and the image is sized for one row. On the working disk
	// they are deleted when the whole matrix is done.
	var cleanups []func()
	defer func() {
		for _, c := range cleanups {
			c()
		}
	}()
	rows := map[string][]row{}
	seed := uint64(time.Now().UnixNano())
	for _, size := range cs.Sizes {
		for _, c := range cs.Clients {
			// Alternate the designs round by round, so that a slow
			// spell of the machine falls on all, and pool the rounds.
			rounds := map[string][]row{}
			for range max(cs.Rounds, 1) {
				rs := rowSpec{Size: size, Clients: c, Count: rowCount(size), Warmup: cs.Warmup, Duration: cs.Duration, Seed: seed}
				seed++
				for _, d := range designs {
					if d.name == nameSeed && skip != "" {
						continue
					}
					r, cleanup, err := d.run(rs)
					if cleanup != nil && dev != nil {
						cleanup()
					} else if cleanup != nil {
						cleanups = append(cleanups, cleanup)
					}
					if err != nil {
						return false, err
					}
					rounds[d.name] = append(rounds[d.name], r)
				}
			}
			for name, rr := range rounds {
				rows[name] = append(rows[name], pool(rr))
			}
		}
	}
	m := matrix{ours: rows[nameOurs], seed: rows[nameSeed], log: rows[nameLog], floor: rows[nameFloor]}
	printRows(cs.Out, append(append(append(append([]row{}, m.ours...), m.floor...), m.log...), m.seed...))
	if skip != "" {
		fmt.Fprintf(cs.Out, "\nSeed comparison SKIPPED: %s.\nOnly the other targets are checked.\n", skip)
	}
	return printVerdict(cs.Out, m), nil
}

// binaries returns the appliance to measure (built unless cs.Bin names
// one) and this program's own binary, which runs the floors.
func binaries(ctx context.Context, cs compareSpec) (bin, self string, done func(), err error) {
	done = func() {}
	if self, err = os.Executable(); err != nil {
		return "", "", done, err
	}
	if cs.Bin != "" {
		return cs.Bin, self, done, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", "", done, err
	}
	dir, err := os.MkdirTemp("", "mmsload-bin-")
	if err != nil {
		return "", "", done, err
	}
	done = func() { os.RemoveAll(dir) }
	fmt.Fprintln(cs.Out, "building ./cmd/appliance …")
	if bin, err = buildAppliance(ctx, root, dir); err != nil {
		done()
		return "", "", func() {}, err
	}
	return bin, self, done, nil
}

// openImage builds the loop-device ext4 image every design runs on,
// sized for the biggest row, or returns why it cannot.
func openImage(cs compareSpec) (*wear.Device, func(), string) {
	if cs.NoImage {
		return nil, func() {}, "-image=false"
	}
	dir, err := os.MkdirTemp("", "mmsload-img-")
	if err != nil {
		return nil, func() {}, err.Error()
	}
	// Apache's children run as www-data: they must get through to the
	// seed's htdocs under the mount point.
	if err := os.Chmod(dir, 0o711); err != nil {
		os.RemoveAll(dir)
		return nil, func() {}, err.Error()
	}
	dev, err := wear.New(dir, imageSize(cs.Sizes))
	if err != nil {
		os.RemoveAll(dir)
		return nil, func() {}, err.Error()
	}
	return dev, func() {
		if err := dev.Close(); err != nil {
			fmt.Fprintln(cs.Out, "mmsload:", err)
		}
		os.RemoveAll(dir)
	}, ""
}

// imageSize is room for the biggest row (rowCount messages, each in
// whole 4 KiB blocks with 2 KiB for whatever a design keeps besides the
// PDU), a tenth more, and 256 MiB for the journal, inode tables and the
// appliance's free-space floor. The image file is sparse.
func imageSize(sizes []int) int64 {
	var biggest int64
	for _, s := range sizes {
		per := (int64(s) + 2048 + 4095) / 4096 * 4096
		biggest = max(biggest, int64(rowCount(s))*per)
	}
	return biggest*11/10 + 256<<20
}

// written is dev.Written, or nothing without a device.
func written(dev *wear.Device) (int64, error) {
	if dev == nil {
		return 0, nil
	}
	return dev.Written()
}

// setDevice records the device bytes between before and after.
func (r *row) setDevice(dev *wear.Device, before, after int64, err error) {
	switch {
	case dev == nil:
	case err != nil:
		r.Problems = append(r.Problems, "device bytes: "+err.Error())
	default:
		r.DevBytes, r.HasDev = after-before, true
	}
}

// oneRow starts a server, measures one row and stops it; the caller
// deletes the server's files with the returned cleanup. With dev, the
// device bytes count from before the start to after the stop, before
// the stored messages are read back.
func oneRow(ctx context.Context, out io.Writer, rs rowSpec, dev *wear.Device, start func() (*server, error)) (row, func(), error) {
	before, berr := written(dev)
	s, err := start()
	if err != nil {
		return row{}, nil, err
	}
	var after int64
	var aerr error
	stop := s.stop
	s.stop = func() error {
		err := stop()
		after, aerr = written(dev)
		return err
	}
	progress(out, s.Name, rs)
	r := measureRow(ctx, s, rs)
	r.setDevice(dev, before, after, errors.Join(berr, aerr))
	progressEnd(out, r)
	return r, s.Cleanup, ctx.Err()
}

// logRow measures the log design without HTTP: this binary in its
// floor-log mode, on the row's PDUs, in a new directory under base.
func logRow(ctx context.Context, out io.Writer, self, base string, dev *wear.Device, rs rowSpec) (row, func(), error) {
	work, err := os.MkdirTemp(base, "mmsload-log-")
	if err != nil {
		return row{}, nil, err
	}
	cleanup := func() { os.RemoveAll(work) }
	data := filepath.Join(work, "data")
	r := row{Server: nameLog, Size: rs.Size, Clients: rs.Clients}
	progress(out, r.Server, rs)
	before, berr := written(dev)
	rep, err := runLogProcess(ctx, self, data, rs)
	after, aerr := written(dev)
	if err != nil {
		return r, cleanup, err
	}
	r.Load, r.CPU, r.Host, r.PeakKB = rep.Load, rep.CPU, rep.Host, rep.PeakKB
	r.setDevice(dev, before, after, errors.Join(berr, aerr))
	tmpl, err := newPDUTemplate(rs.Size, rowPrefix(rs), rs.Seed)
	if err == nil {
		r.Store, err = verifyDir(data, tmpl, r.Load.OKIDs)
	}
	if err != nil {
		r.Problems = append(r.Problems, "verify: "+err.Error())
	}
	progressEnd(out, r)
	return r, cleanup, ctx.Err()
}

// runLogProcess runs `self floor-log` for one row and reads its report.
func runLogProcess(ctx context.Context, self, data string, rs rowSpec) (logReport, error) {
	var rep logReport
	cmd := exec.CommandContext(ctx, self, modeFloorLog, "-data", data,
		"-size", strconv.Itoa(rs.Size), "-c", strconv.Itoa(rs.Clients), "-n", strconv.Itoa(rs.Count),
		"-warmup", rs.Warmup.String(), "-d", rs.Duration.String(), "-seed", strconv.FormatUint(rs.Seed, 10))
	cmd.Env = cleanEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return rep, fmt.Errorf("%s: %v: %s", modeFloorLog, err, stderr.Bytes())
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return rep, fmt.Errorf("%s report: %v", modeFloorLog, err)
	}
	return rep, nil
}

func progress(out io.Writer, name string, rs rowSpec) {
	fmt.Fprintf(out, "  %-10s %4d KB × %2d clients … ", name, rs.Size/1024, rs.Clients)
}

func progressEnd(out io.Writer, r row) {
	fmt.Fprintf(out, "%.0f msg/s, %.3f ms CPU/msg, %d ok, %d lost", r.Load.ReqPerSec(), ms(r.CPUPerMsg()), r.Load.OK, r.Store.Lost+r.Store.Corrupt)
	if r.HasDev {
		fmt.Fprintf(out, ", %.0f dev-B/msg", r.DevPerMsg())
	}
	fmt.Fprintln(out)
}

// rowCount bounds the messages of one row, so a fast server cannot fill
// the disk or the image: about 900 MB at 30 KB, 1.8 GB at 300 KB, above
// what any design reaches in a 6 s row here.
func rowCount(size int) int {
	return max(6000, 900<<20/size)
}
