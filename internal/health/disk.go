package health

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ErrReadOnly is CheckDisk's answer for a filesystem mounted (or
// remounted, after an error) read-only.
var ErrReadOnly = errors.New("health: filesystem is read-only")

// CheckDisk reports whether the filesystem that holds dir can still take
// a message, without writing to it: statfs(2) says whether it is mounted
// read-only, and an fsync(2) of dir itself, which has nothing to write
// while the store is idle, still sends the card a cache flush and waits
// for it (ext4_sync_file issues one when the directory's last change is
// already committed), so on a hung card it does not return; and on an
// ext4 that stopped writing after an I/O error (errors=remount-ro, which
// Linux 6 shows as emergency_ro without the read-only flag statfs
// reports) it fails with EROFS. A full disk is Stats.FreeBytes's job.
// BenchmarkDiskChecks measures what each way of checking writes to the
// device.
func CheckDisk(dir string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return &os.PathError{Op: "statfs", Path: dir, Err: err}
	}
	if st.Flags&unix.ST_RDONLY != 0 {
		return fmt.Errorf("%w: %s", ErrReadOnly, dir)
	}
	d, err := os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}
