// Package wear measures what a workload makes a block device write: an
// ext4 file system with its journal (as on Raspberry Pi OS, mounted
// noatime) in an image on a loop device, whose /sys/block/loopN/stat
// counts the sectors the device was asked to write, whatever path they
// took (data, inode tables, the jbd2 journal, directory blocks). That is
// what wears an SD card, and unlike a timing it does not change with the
// load on the machine.
//
// Building one needs root, losetup(8), mkfs.ext4(8) and mount(8); New
// returns an UnavailableError saying which is missing, so that a
// benchmark can skip with one clear line.
//
// # Specs
//
//   - Documentation/admin-guide/iostats.rst (Linux): the fields of
//     /sys/block/<dev>/stat; the seventh is sectors written, in units
//     of 512 bytes whatever the device's sector size.
//   - syncfs(2): writes back one file system's dirty data and waits for
//     it, which on ext4 includes committing its journal.
package wear

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// UnavailableError says why no loop-device file system can be built here.
type UnavailableError struct{ Reason string }

func (e *UnavailableError) Error() string { return "wear: no loop device file system: " + e.Reason }

// Device is a mounted ext4 image on a loop device.
type Device struct {
	Dir  string // where the file system is mounted
	img  string
	loop string // /dev/loopN
}

// New makes an image of size bytes under dir, formats it ext4 with its
// journal, inode tables initialised up front (so that no background
// lazy initialisation writes during a measurement), attaches it to a
// free loop device and mounts it noatime at dir/mnt.
func New(dir string, size int64) (*Device, error) {
	if os.Geteuid() != 0 {
		return nil, &UnavailableError{"not root (losetup and mount need it)"}
	}
	for _, tool := range []string{"losetup", "mkfs.ext4", "mount", "umount"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, &UnavailableError{tool + " not installed"}
		}
	}
	d := &Device{Dir: filepath.Join(dir, "mnt"), img: filepath.Join(dir, "ext4.img")}
	if err := d.build(size); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *Device) build(size int64) error {
	f, err := os.Create(d.img)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := run("mkfs.ext4", "-q", "-F", "-b", "4096", "-E", "lazy_itable_init=0,lazy_journal_init=0", d.img); err != nil {
		return err
	}
	out, err := exec.Command("losetup", "--find", "--show", d.img).Output()
	if err != nil {
		return &UnavailableError{fmt.Sprintf("losetup --find: %v", err)}
	}
	d.loop = strings.TrimSpace(string(out))
	if err := os.MkdirAll(d.Dir, 0o750); err != nil {
		return err
	}
	if err := run("mount", "-t", "ext4", "-o", "noatime", d.loop, d.Dir); err != nil {
		return &UnavailableError{err.Error()} // a container without CAP_SYS_ADMIN
	}
	return nil
}

func run(name string, args ...string) error {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("wear: %s %s: %w: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// Written flushes the file system (syncfs) and returns the bytes the
// loop device has been asked to write since it was attached.
func (d *Device) Written() (int64, error) {
	fd, err := unix.Open(d.Dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return 0, fmt.Errorf("wear: open %s: %w", d.Dir, err)
	}
	err = unix.Syncfs(fd)
	unix.Close(fd)
	if err != nil {
		return 0, fmt.Errorf("wear: syncfs %s: %w", d.Dir, err)
	}
	return sectorsWritten(filepath.Join("/sys/block", filepath.Base(d.loop), "stat"))
}

// sectorsWritten reads the seventh field of a block device's stat file,
// in bytes.
func sectorsWritten(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("wear: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) < 7 {
		return 0, fmt.Errorf("wear: %s: %d fields", path, len(f))
	}
	n, err := strconv.ParseInt(f[6], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("wear: %s: %w", path, err)
	}
	return n * 512, nil
}

// ErrorTrigger is the file that, written to, makes ext4 act as on an
// I/O error (its errors= behaviour): /sys/fs/ext4/loopN/trigger_fs_error.
func (d *Device) ErrorTrigger() string {
	return filepath.Join("/sys/fs/ext4", filepath.Base(d.loop), "trigger_fs_error")
}

// Close unmounts the file system, detaches the loop device and removes
// the image.
func (d *Device) Close() error {
	var errs []error
	if d.loop != "" {
		if err := run("umount", d.Dir); err != nil {
			errs = append(errs, err)
		}
		if err := run("losetup", "-d", d.loop); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.Remove(d.img); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
