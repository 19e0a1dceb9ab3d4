package main_test

// A full disk under the real binary (issue 5): the store on a small real
// filesystem (tmpfs, and a loop-mounted ext4 image like the SD card's),
// filled up by another writer. A POST then gets a transient failure, the
// process stays up, nothing half-written is left, and the next POST once
// space is back is stored. The store keeps a free-space floor (32 MiB),
// so filling the blocks trips the floor before the kernel says ENOSPC;
// using up the inodes makes the kernel's ENOSPC itself reach the binary.
// These tests mount filesystems: they need root and skip without it.

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/mmsc"
	"github.com/homemmsc/homemmsc/internal/store"
)

// needRoot skips a test that mounts filesystems when not root.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounts a small filesystem: needs root (CI runs as root)")
	}
}

// mountFailed skips, or fails under CI (which runs as root in a
// container where mounting works), when a mount is impossible.
func mountFailed(t *testing.T, what string, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s: %v (CI is set: mounting must work here)", what, err)
	}
	t.Skipf("%s: %v: cannot mount here", what, err)
}

// mountTmpfs mounts a tmpfs with opts (e.g. "size=48m") on a new
// directory and unmounts it at the end of the test.
func mountTmpfs(t *testing.T, opts string) string {
	t.Helper()
	needRoot(t)
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
		mountFailed(t, "mount -t tmpfs -o "+opts, err)
	}
	t.Cleanup(func() { unmount(t, dir) })
	return dir
}

// mountExt4 makes an ext4 image of sizeMiB with mkfs.ext4's defaults (5 %
// reserved for root, like Raspberry Pi OS's root filesystem) and extra
// mkfs arguments, and loop-mounts it.
func mountExt4(t *testing.T, sizeMiB int, mkfsArgs ...string) string {
	t.Helper()
	needRoot(t)
	mkfs, err := exec.LookPath("mkfs.ext4")
	if err != nil {
		t.Skip("mkfs.ext4 not installed (Debian package e2fsprogs)")
	}
	img := filepath.Join(t.TempDir(), "sd.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, int64(sizeMiB)<<20); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-q", "-F"}, mkfsArgs...)
	if out, err := exec.Command(mkfs, append(args, img)...).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-o", "loop", img, dir).CombinedOutput(); err != nil {
		mountFailed(t, "mount -o loop (ext4 image)", fmt.Errorf("%v: %s", err, out))
	}
	t.Cleanup(func() { unmount(t, dir) })
	return dir
}

func unmount(t *testing.T, dir string) {
	if err := unix.Unmount(dir, 0); err != nil {
		t.Errorf("umount %s: %v", dir, err)
	}
}

// fillBlocks writes one file in dir until the filesystem is full and
// returns its name.
func fillBlocks(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, chunk := range []int{1 << 20, 4 << 10, 1} {
		buf := make([]byte, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, unix.ENOSPC) {
					t.Fatalf("filling %s: %v", dir, err)
				}
				break
			}
		}
	}
	if err := f.Sync(); err != nil && !errors.Is(err, unix.ENOSPC) {
		t.Fatal(err)
	}
	return path
}

// fillInodes creates empty files in a new directory under dir until the
// filesystem has no inode left; it returns the directory.
func fillInodes(t *testing.T, dir string) string {
	t.Helper()
	sub := filepath.Join(dir, "inodes")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		f, err := os.Create(filepath.Join(sub, fmt.Sprint(i)))
		if errors.Is(err, unix.ENOSPC) {
			return sub
		}
		if err != nil || i > 1_000_000 {
			t.Fatalf("using up the inodes of %s: %d files, %v", dir, i, err)
		}
		f.Close()
	}
}

// diskCase is one way of filling a filesystem and freeing it again.
type diskCase struct {
	name  string
	mount func(t *testing.T) string
	fill  func(t *testing.T, dir string) (free func())
	cause string // in the binary's log when it refuses; empty: it does not refuse
}

func TestFaultDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	needRoot(t)
	bin := e2eBuild(t, t.TempDir(), "fault-disk")
	blocks := func(t *testing.T, dir string) func() {
		filler := fillBlocks(t, dir)
		return func() { mustRemove(t, filler) }
	}
	inodes := func(t *testing.T, dir string) func() {
		sub := fillInodes(t, dir)
		return func() { mustRemove(t, sub) }
	}
	const floor = "floor is"
	for _, c := range []diskCase{
		{"tmpfs 48m, blocks", func(t *testing.T) string { return mountTmpfs(t, "size=48m") }, blocks, floor},
		{"tmpfs 2m, blocks", func(t *testing.T) string { return mountTmpfs(t, "size=2m") }, nil, floor},
		// The store appends to one log: a filesystem out of inodes
		// still takes messages.
		{"tmpfs inodes", func(t *testing.T) string { return mountTmpfs(t, "size=64m,nr_inodes=64") }, inodes, ""},
		{"ext4 64m, blocks", func(t *testing.T) string { return mountExt4(t, 64) }, blocks, floor},
		{"ext4 inodes", func(t *testing.T) string { return mountExt4(t, 64, "-N", "64") }, inodes, ""},
	} {
		t.Run(c.name, func(t *testing.T) { testDiskFull(t, bin, c) })
	}
}

// testDiskFull posts a message that is stored, fills the filesystem,
// posts one that must be refused with a transient failure leaving the
// store as it was (or, for a case without a cause, stored all the same),
// frees the space and posts one that must be stored. A case without
// fill starts full: the filesystem is below the floor.
func testDiskFull(t *testing.T, bin string, c diskCase) {
	mnt := c.mount(t)
	_, cwd, _ := dirs(t)
	data := filepath.Join(mnt, "data")
	p := e2eStart(t, bin, cwd, data)
	var acked []stored
	post := func(tid string, want mms.ResponseStatus) {
		t.Helper()
		pdu := sendReqWithParts(tid, onePart(40_000))
		r, err := p.post(openPath, pdu)
		if err != nil {
			t.Fatalf("%s: %v", tid, err)
		}
		if want == 0 { // a transient failure: HTTP 503, which phones retry
			if r.Code != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
				t.Errorf("%s: HTTP %d Retry-After %q, want 503 with Retry-After", tid, r.Code, r.Header.Get("Retry-After"))
			}
			return
		}
		if conf := checkConf(t, tid, r, tid, mms.Version12, want); conf != nil && want == mms.StatusOk {
			acked = append(acked, stored{ID: conf.MessageID, TID: tid, SHA256: sum(pdu)})
		}
	}
	free := func() {}
	if c.fill != nil {
		post("before-full", mms.StatusOk)
		free = c.fill(t, mnt)
	}
	before := snapshot(t, data)
	if c.cause == "" {
		post("while-full", mms.StatusOk)
	} else {
		post("while-full", 0)
		if d := diffSnapshots(before, snapshot(t, data)); len(d) > 0 {
			t.Errorf("the refused post changed the store: %v", d)
		}
	}
	select {
	case <-p.exited:
		t.Fatalf("the binary exited on a full disk: %v\n%s", p.err, p.log.String())
	default:
	}
	if c.fill == nil { // grow the filesystem: the floor is 32 MiB
		if err := unix.Mount("tmpfs", mnt, "tmpfs", unix.MS_REMOUNT, "size=48m"); err != nil {
			t.Fatalf("remount larger: %v", err)
		}
	}
	free()
	post("after-free", mms.StatusOk)
	p.stop()
	if n := checkStore(t, data, acked); n != len(acked) {
		t.Errorf("%d messages listed, want %d", n, len(acked))
	}
	if c.cause != "" && !strings.Contains(p.log.String(), c.cause) {
		t.Errorf("the log does not give the cause %q", c.cause)
	}
	if t.Failed() {
		t.Logf("appliance log:\n%s", p.log.String())
	}
}

func mustRemove(t *testing.T, path string) {
	t.Helper()
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
}

// TestFaultDiskENOSPCMidWrite runs the MMSC handler and the store in
// process on a 1 MiB tmpfs with the free-space floor off, so that the
// kernel's ENOSPC arrives in the middle of writing a PDU: the reply is a
// transient failure (HTTP 503), no temporary or half entry is left, the index and
// the disk agree, and once a message is deleted the next POST is stored.
// (internal/store's TestWriteFaults injects ENOSPC into each write step;
// this is the real kernel error on a real filesystem.)
func TestFaultDiskENOSPCMidWrite(t *testing.T) {
	mnt := mountTmpfs(t, "size=1m")
	var logs syncBuffer
	st, err := store.Open(store.Config{Dir: filepath.Join(mnt, "data"), MinFree: -1,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := mmsc.NewHandler(mmsc.Config{Store: st, Open: true})
	post := func(tid string) mms.ResponseStatus {
		req := httptest.NewRequest(http.MethodPost, openPath, bytes.NewReader(sendReqWithParts(tid, onePart(150_000))))
		req.Header.Set("Content-Type", "application/vnd.wap.mms-message")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusServiceUnavailable { // the transient failure (mmsc's doc.go)
			return 0
		}
		s, err := confStatus(e2eReply{Code: rec.Code, Body: rec.Body.Bytes()})
		if err != nil {
			t.Fatalf("%s: %v", tid, err)
		}
		return s
	}
	ok := 0
	for ; ok < 20 && post(fmt.Sprintf("fill-%d", ok)) == mms.StatusOk; ok++ {
	}
	if ok == 0 || ok == 20 {
		t.Fatalf("%d posts stored before the 1 MiB filesystem filled up", ok)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, "full: write ") || !strings.Contains(last, "no space left on device") {
		t.Errorf("the refusal was not the kernel's ENOSPC in a write: %s", last)
	}
	t.Logf("%d messages of 150 KB stored, then: %s", ok, last)
	checkEntries(t, st, filepath.Join(mnt, "data"), ok)
	if newest, _ := st.Query(store.Query{Limit: 1}); len(newest) == 0 {
		t.Fatal("no message listed")
	} else if err := st.Delete(newest[0].ID); err != nil {
		t.Fatal(err)
	}
	if s := post("after-delete"); s != mms.StatusOk {
		t.Errorf("after deleting a message: %v, want Ok", s)
	}
	checkEntries(t, st, filepath.Join(mnt, "data"), ok)
}

// checkEntries checks that the store lists n messages and that no
// temporary file, nor any file of a message it does not list, is left
// under data (whatever the store's layout).
func checkEntries(t *testing.T, st *store.Store, data string, n int) {
	t.Helper()
	listed := map[string]bool{}
	all, _ := st.Query(store.Query{})
	for _, m := range all {
		listed[m.ID] = true
	}
	if len(listed) != n {
		t.Errorf("%d messages listed, want %d", len(listed), n)
	}
	checkNoLeftovers(t, snapshot(t, data), listed)
}
