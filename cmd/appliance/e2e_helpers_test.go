package main_test

// The harness of the end-to-end tests: build the real binary, run it on a
// free loopback port, post to it, stop it, and look at what it left on
// disk.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/store"
	"github.com/homemmsc/homemmsc/internal/testcorpus"
)

// e2eBuild builds ./cmd/appliance into dir with version stamped, as the
// Makefile does. It keeps the go command's default flags (no -trimpath,
// no CGO_ENABLED=0) so that it reuses the packages the test itself was
// compiled from: only main is compiled and linked.
func e2eBuild(t *testing.T, dir, version string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	bin := filepath.Join(dir, "appliance")
	cmd := exec.Command(goBin, "build", "-ldflags", "-X main.version="+version, "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// e2eCorpus returns ../shared/corpus/mms beside the repository, or skips
// (fails under CI).
func e2eCorpus(t *testing.T) string {
	t.Helper()
	return testcorpus.Dir(t, "mms")
}

func e2eRead(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// syncBuffer collects the binary's log, up to maxLog bytes: a long load
// test must not grow the test process by a log line per request (a
// slowed reader fills the pipe and then stalls the binary's writes).
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	dropped int
}

const maxLog = 8 << 20

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len()+len(p) > maxLog {
		s.dropped += len(p)
		return len(p), nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dropped > 0 {
		return s.b.String() + fmt.Sprintf("[%d more bytes of log dropped]\n", s.dropped)
	}
	return s.b.String()
}

// e2eProc is one run of the binary.
type e2eProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	addr   string
	log    *syncBuffer
	exited chan struct{}
	err    error // from Wait; read after exited is closed
	client *http.Client
}

// e2eStart runs the binary in cwd with -listen on a free loopback port,
// -data data and args, and waits until it accepts connections (it opens
// the store, recovering it, before it listens).
func e2eStart(t *testing.T, bin, cwd, data string, args ...string) *e2eProc {
	t.Helper()
	var last string
	for range 3 { // the free port may be taken between the probe and the start
		p := e2eTryStart(t, bin, cwd, data, args)
		if p.waitListening(15 * time.Second) {
			t.Cleanup(p.kill)
			return p
		}
		p.kill()
		last = p.log.String()
	}
	t.Fatalf("appliance did not start listening; its log:\n%s", last)
	return nil
}

func e2eTryStart(t *testing.T, bin, cwd, data string, args []string) *e2eProc {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	argv := append([]string{"-listen", addr, "-data", data, "-log-level", "debug"}, args...)
	p := &e2eProc{t: t, addr: addr, log: &syncBuffer{}, exited: make(chan struct{})}
	// A script a parallel test has just written may still be open for
	// writing in a child forked meanwhile (until that child's exec):
	// starting it then fails with ETXTBSY (golang.org/issue/22315). Try
	// again with a fresh Cmd for a moment.
	for try := 0; ; try++ {
		p.cmd = exec.Command(bin, argv...)
		p.cmd.Dir = cwd
		p.cmd.Env = e2eEnv()
		p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
		err := p.cmd.Start()
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.ETXTBSY) || try == 50 {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	p.client = &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true},
		Timeout:   30 * time.Second,
	}
	return p
}

// e2eEnv is the test's environment without HOMEMMSC_* settings.
func e2eEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOMEMMSC_") && !strings.HasPrefix(kv, "STATE_DIRECTORY=") {
			env = append(env, kv)
		}
	}
	return env
}

func (p *e2eProc) waitListening(limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", p.addr, 200*time.Millisecond); err == nil {
			c.Close()
			return true
		}
		select {
		case <-p.exited:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}

// kill sends SIGKILL (if still running) and waits for the exit.
func (p *e2eProc) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	p.client.CloseIdleConnections()
}

// stop sends SIGTERM and fails the test unless the binary exits 0 within
// 20 s.
func (p *e2eProc) stop() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		p.kill()
		p.t.Fatalf("no exit 20 s after SIGTERM; log:\n%s", p.log.String())
	}
	p.client.CloseIdleConnections()
	if p.err != nil {
		p.t.Fatalf("exit after SIGTERM: %v (want status 0); log:\n%s", p.err, p.log.String())
	}
	if log := p.log.String(); strings.Contains(log, "panic") {
		p.t.Errorf("the log mentions a panic:\n%s", log)
	}
}

// e2eReply is an HTTP answer.
type e2eReply struct {
	Code   int
	Header http.Header
	Body   []byte
}

// post sends body to path with the MMS media type.
func (p *e2eProc) post(path string, body []byte) (e2eReply, error) {
	req, err := http.NewRequest(http.MethodPost, "http://"+p.addr+path, bytes.NewReader(body))
	if err != nil {
		return e2eReply{}, err
	}
	req.Header.Set("Content-Type", "application/vnd.wap.mms-message")
	req.Header.Set("User-Agent", "homemmsc-e2e")
	resp, err := p.client.Do(req)
	if err != nil {
		return e2eReply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return e2eReply{resp.StatusCode, resp.Header, b}, err
}

// postRaw sends a request over its own TCP connection and reads the reply
// while the body is still being written: the server may answer a body it
// refuses before it is all sent. chunked leaves Content-Length out.
func (p *e2eProc) postRaw(path string, body []byte, chunked bool) (e2eReply, error) {
	conn, err := net.DialTimeout("tcp", p.addr, 5*time.Second)
	if err != nil {
		return e2eReply{}, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	go func() {
		w := bufio.NewWriter(conn)
		fmt.Fprintf(w, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/vnd.wap.mms-message\r\n", path, p.addr)
		if chunked {
			fmt.Fprintf(w, "Transfer-Encoding: chunked\r\n\r\n")
			for b := body; len(b) > 0; {
				n := min(len(b), 64<<10)
				fmt.Fprintf(w, "%x\r\n%s\r\n", n, b[:n])
				b = b[n:]
			}
			fmt.Fprintf(w, "0\r\n\r\n")
		} else {
			fmt.Fprintf(w, "Content-Length: %d\r\n\r\n", len(body))
			w.Write(body)
		}
		w.Flush() // a write error is expected when the server refuses early
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return e2eReply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return e2eReply{resp.StatusCode, resp.Header, b}, err
}

// reqHead reads the Transaction-Id and MMS-Version at the start of a PDU
// (Message-Type, Transaction-Id, MMS-Version come first, §6.1).
func reqHead(pdu []byte) (tid string, version mms.Version) {
	if len(pdu) < 3 || pdu[0] != 0x8C || pdu[2] != 0x98 {
		return "", 0
	}
	i := bytes.IndexByte(pdu[3:], 0)
	if i < 0 {
		return "", 0
	}
	tid, rest := string(pdu[3:3+i]), pdu[4+i:]
	if len(rest) >= 2 && rest[0] == 0x8D && rest[1] >= 0x80 {
		version = mms.Version(rest[1] & 0x7F)
	}
	return tid, version
}

// replyVersion is the version our M-Send.conf must carry (issue 2): 1.2
// when the request is 1.2 or later, else 1.0.
func replyVersion(req mms.Version) mms.Version {
	if req >= mms.Version12 {
		return mms.Version12
	}
	return mms.Version10
}

// Outcomes of a refused PDU: the MMS 1.0 codes whatever the version, the
// ones mmsd-tng, AOSP and mms-engine all take for failures (issue 12).
func statusCorrupt(mms.Version) mms.ResponseStatus { return mms.StatusErrMessageFormatCorrupt }

func statusTooLarge(mms.Version) mms.ResponseStatus { return mms.StatusErrContentNotAccepted }

// checkConf checks an HTTP reply carrying an M-Send.conf: HTTP 200, the MMS
// media type, no caching, Message-Type / Transaction-Id / MMS-Version
// first, second and third, and the decoded fields. wantTID "" skips the
// Transaction-Id (a PDU too broken to have one). It returns the decoded
// reply, or nil after reporting an error.
func checkConf(t *testing.T, what string, r e2eReply, wantTID string, wantVer mms.Version, want mms.ResponseStatus) *mms.Message {
	t.Helper()
	if r.Code != http.StatusOK {
		t.Errorf("%s: HTTP %d (%q), want 200 with an M-Send.conf", what, r.Code, r.Body)
		return nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/vnd.wap.mms-message" {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("%s: Cache-Control %q, want no-cache", what, cc)
	}
	b := r.Body
	tid, ver := reqHead(b) // the same three headers open a reply
	if len(b) < 3 || b[1] != 0x81 || ver == 0 {
		t.Errorf("%s: reply does not start with Message-Type m-send-conf, Transaction-Id, MMS-Version: % x", what, b[:min(len(b), 24)])
	}
	c, err := mms.Decode(b)
	if err != nil {
		t.Errorf("%s: M-Send.conf does not decode: %v (% x)", what, err, b)
		return nil
	}
	switch {
	case c.Type != mms.TypeSendConf:
		t.Errorf("%s: reply type %v, want m-send-conf", what, c.Type)
	case wantTID != "" && (c.TransactionID != wantTID || tid != wantTID):
		t.Errorf("%s: Transaction-Id %q, want the request's %q", what, c.TransactionID, wantTID)
	case c.TransactionID == "":
		t.Errorf("%s: empty Transaction-Id", what)
	case c.Version != wantVer || ver != wantVer:
		t.Errorf("%s: MMS-Version %v, want %v", what, c.Version, wantVer)
	case c.ResponseStatus != want:
		t.Errorf("%s: Response-Status %#x (%v), want %#x (%v); text %q", what,
			byte(c.ResponseStatus), c.ResponseStatus, byte(want), want, c.ResponseText.Text())
	case want == mms.StatusOk && c.MessageID == "":
		t.Errorf("%s: Ok without a Message-ID", what)
	case want != mms.StatusOk && c.MessageID != "":
		t.Errorf("%s: Message-ID %q on a refusal", what, c.MessageID)
	default:
		return c
	}
	return nil
}

// withTID returns a copy of an M-Send.req with another Transaction-Id.
func withTID(pdu []byte, tid string) []byte {
	i := bytes.IndexByte(pdu[3:], 0)
	out := append([]byte{}, pdu[:3]...)
	out = append(append(out, tid...), 0)
	return append(out, pdu[4+i:]...)
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// snapshot maps every file and directory under root to its sha256 (or
// "dir"), to prove that a request wrote nothing anywhere.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			m[rel] = "dir"
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		m[rel] = sum(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// diffSnapshots lists what changed between two snapshots.
func diffSnapshots(before, after map[string]string) []string {
	var d []string
	for k, v := range after {
		if w, ok := before[k]; !ok {
			d = append(d, "new "+k)
		} else if w != v {
			d = append(d, "changed "+k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			d = append(d, "removed "+k)
		}
	}
	slices.Sort(d)
	return d
}

// stored is a message the binary acknowledged with Ok.
type stored struct {
	ID, TID, SHA256 string
}

// checkStore checks what a stopped binary left in data. Every
// acknowledged message is listed, has its metadata and its PDU on disk
// byte for byte; no temporary file, orphan or quarantined file is left;
// and reopening the store finds nothing to repair (the binary's own start
// already did). It returns the number of listed messages.
func checkStore(t *testing.T, data string, acked []stored) int {
	t.Helper()
	before := snapshot(t, data)
	st, err := store.Open(store.Config{Dir: data, MinFree: -1})
	if err != nil {
		t.Fatalf("reopen the store: %v", err)
	}
	listed := map[string]bool{}
	all, _ := st.Query(store.Query{})
	for _, m := range all {
		listed[m.ID] = true
	}
	for _, a := range acked {
		checkAcked(t, st, data, before, listed, a)
	}
	st.Close()
	if d := diffSnapshots(before, snapshot(t, data)); len(d) > 0 {
		t.Errorf("reopening the store repaired what the binary left: %v", d)
	}
	checkNoLeftovers(t, before, listed)
	return len(listed)
}

func checkAcked(t *testing.T, st *store.Store, data string, files map[string]string, listed map[string]bool, a stored) {
	t.Helper()
	m, ok := st.Get(a.ID)
	switch {
	case !ok || !listed[a.ID]:
		t.Errorf("message %s (tid %s) was acknowledged Ok but is not listed", a.ID, a.TID)
		return
	case m.TransactionID != a.TID:
		t.Errorf("message %s: metadata tid %q, want %q", a.ID, m.TransactionID, a.TID)
	case m.Received.IsZero() || m.Sender.Source == "" || m.Size == 0:
		t.Errorf("message %s: metadata incomplete: %+v", a.ID, m)
	}
	f, err := st.OpenPDU(a.ID)
	if err != nil {
		t.Errorf("message %s: OpenPDU: %v", a.ID, err)
		return
	}
	defer f.Close()
	if b, _ := io.ReadAll(f); sum(b) != a.SHA256 {
		t.Errorf("message %s: stored PDU differs from the one posted", a.ID)
	}
}

// checkNoLeftovers fails on a temporary file anywhere in a snapshot of
// the store, or a file in a subdirectory (messages, quarantine) that
// belongs to no listed message.
func checkNoLeftovers(t *testing.T, files map[string]string, listed map[string]bool) {
	t.Helper()
	for rel, h := range files {
		base := filepath.Base(rel)
		if isTempName(base) {
			t.Errorf("temporary file left in the store: %s", rel)
		}
		if h == "dir" || filepath.Dir(rel) == "." {
			continue // the store's own top-level files (lock, sequence)
		}
		id, _, _ := strings.Cut(base, ".")
		if !listed[id] {
			t.Errorf("file of no listed message left in the store: %s", rel)
		}
	}
}

// e2eAck posts pdu and, when the reply is an Ok M-Send.conf for its
// Transaction-Id, returns what was stored. It never fails the test: the
// callers post while the binary is being killed.
func e2eAck(p *e2eProc, path string, pdu []byte) (stored, bool) {
	r, err := p.post(path, pdu)
	if err != nil || r.Code != http.StatusOK {
		return stored{}, false
	}
	c, err := mms.Decode(r.Body)
	tid, _ := reqHead(pdu)
	if err != nil || c.Type != mms.TypeSendConf || c.ResponseStatus != mms.StatusOk || c.TransactionID != tid || c.MessageID == "" {
		return stored{}, false
	}
	return stored{ID: c.MessageID, TID: tid, SHA256: sum(pdu)}, true
}

var errNoDrain = errors.New("listener still accepting after SIGTERM")

// waitRefusing waits until nothing accepts connections on addr.
func waitRefusing(ctx context.Context, addr string) error {
	for ctx.Err() == nil {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return nil
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
	return errNoDrain
}
