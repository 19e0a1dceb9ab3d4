package main_test

import (
	"bytes"
	"encoding/hex"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/homemmsc/homemmsc/internal/mms"
	"github.com/homemmsc/homemmsc/internal/mms/mmstest"
	"github.com/homemmsc/homemmsc/internal/modem/modemtest"
	"github.com/homemmsc/homemmsc/internal/modem/sms/smstest"
	"github.com/homemmsc/homemmsc/internal/store"
)

// Two paired phones on the pty fake modem (issue 7): Anna posts to Ben
// (and to Carl, who is not paired); Ben's notification goes out as a WAP
// push; a GET of its Content-Location returns the message with the same
// parts byte for byte; Ben's M-NotifyResp.ind marks it retrieved and Anna
// gets an M-Delivery.ind. Then the rejected, deferred and expired paths,
// wrong keys, and -self-test through the LAN listener. Every M-Notification.ind and M-Retrieve.conf goes
// through tshark, every push through python3-gammu.
func TestDeliverE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	bin := e2eBuild(t, t.TempDir(), "deliver-e2e")
	m := modemtest.New(t)
	_, cwd, data := dirs(t)
	lan := freeAddr(t)
	// The owner's texts, the notifications and the reports share the
	// outbox and its spacing through the modem; a short spacing lets the
	// notification of the message that expires in 2 s go out before then.
	p := e2eStart(t, bin, cwd, data, "-modem", m.Link(), "-owner", dOwner, "-lan", lan,
		"-phones", "Anna:"+dAnna+":"+dTokA+",Ben:"+dBen+":"+dTokB, "-public-url", dPublic, "-notify-spacing", "300ms")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("appliance log:\n%s", p.log.String())
		}
	})
	e := &deliverE2E{t: t, p: p, m: m}

	// Retrieved, with a delivery report.
	req := dSendReq("T-d-1", true, 0)
	id := e.send(req)
	n := e.notification(dBen)
	conf := e.get(n.ContentLocation)
	if conf.RetrieveStatus != 0 || conf.MessageID != id || conf.TransactionID != n.TransactionID {
		t.Errorf("M-Retrieve.conf: status 0x%02X id %q tid %q", conf.RetrieveStatus, conf.MessageID, conf.TransactionID)
	}
	if got := conf.From.String(); got != dAnna+"/TYPE=PLMN" {
		t.Errorf("From %q, want Anna's number", got)
	}
	sameParts(t, conf.Parts, req.Parts)
	e.report(dTokB, mms.TypeNotifyRespInd, n.TransactionID, mms.DeliveryRetrieved)
	e.deliveryInd(id, mms.DeliveryRetrieved)
	e.ownerTold("kept here, not sent to " + dCarl)

	// Rejected: the URL goes dead.
	id = e.send(dSendReq("T-d-2", true, 0))
	n = e.notification(dBen)
	e.report(dTokB, mms.TypeNotifyRespInd, n.TransactionID, mms.DeliveryRejected)
	e.deliveryInd(id, mms.DeliveryRejected)
	e.notFound(n.ContentLocation)

	// Deferred, then fetched and acknowledged.
	id = e.send(dSendReq("T-d-3", true, 0))
	n = e.notification(dBen)
	e.report(dTokB, mms.TypeNotifyRespInd, n.TransactionID, mms.DeliveryDeferred)
	sameParts(t, e.get(n.ContentLocation).Parts, dSendReq("", true, 0).Parts)
	e.report(dTokB, mms.TypeAcknowledgeInd, n.TransactionID, 0)
	e.deliveryInd(id, mms.DeliveryRetrieved)

	// Expired: the sender asked for 2 s.
	id = e.send(dSendReq("T-d-4", true, 2*time.Second))
	n = e.notification(dBen)
	e.deliveryInd(id, mms.DeliveryExpired)
	e.notFound(n.ContentLocation)

	// Wrong keys of the right shape.
	good := n.ContentLocation[strings.LastIndex(n.ContentLocation, "/")+1:]
	for _, k := range []string{strings.Repeat("a", len(good)), good[:len(good)-1] + "q", "x"} {
		e.notFound(dPublic + "/m/" + k)
	}

	e.selfTest(bin, lan)
	e.oracles()
	e.metrics(lan)
	p.stop()
	checkDeliveryMeta(t, data, []string{"retrieved", "rejected", "retrieved", "expired"})
}

// checkDeliveryMeta reopens the store and checks Ben's state in each
// message's metadata, oldest first; Carl is kept.
func checkDeliveryMeta(t *testing.T, data string, want []string) {
	t.Helper()
	st, err := store.Open(store.Config{Dir: data, MinFree: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	list, _ := st.Query(store.Query{}) // newest first
	if len(list) != len(want) {
		t.Fatalf("%d messages stored, want %d", len(list), len(want))
	}
	for i, w := range want {
		d := list[len(list)-1-i].Delivery
		if len(d) != 2 || d[0].Phone != "Ben" || d[0].State != w || d[1].State != "kept" {
			t.Errorf("message %d: delivery in the metadata %+v, want Ben %s and Carl kept", i+1, d, w)
		}
	}
}

// selfTest runs -self-test Ben against the running service while the test
// plays Ben's phone: it fetches the test notification and reports it.
func (e *deliverE2E) selfTest(bin, lan string) {
	e.t.Helper()
	cmd := exec.Command(bin, "-self-test", "ben", "-lan", lan, "-self-test-wait", "30s")
	cmd.Env = e2eEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	n := e.notification(dBen)
	e.get(n.ContentLocation)
	e.report(dTokB, mms.TypeNotifyRespInd, n.TransactionID, mms.DeliveryRetrieved)
	if err := cmd.Wait(); err != nil {
		e.t.Errorf("-self-test: %v\n%s", err, out.String())
	}
	for _, want := range []string{"fetched after", "user agent: Ben's phone/1.0", "phone reported: retrieved", "OK:"} {
		if !strings.Contains(out.String(), want) {
			e.t.Errorf("-self-test output lacks %q:\n%s", want, out.String())
		}
	}
}

const (
	dOwner  = "+15550009999"
	dAnna   = "+15551110001"
	dBen    = "+15552220002"
	dCarl   = "+15553330003"
	dTokA   = "e2eAnnaToken-0123456789"
	dTokB   = "e2eBenToken-0123456789a"
	dPublic = "http://mms.example.test:8080"
)

type deliverE2E struct {
	t        *testing.T
	p        *e2eProc
	m        *modemtest.Pty
	pushes   int      // pushes seen so far
	emitted  [][]byte // every M-Notification.ind and M-Retrieve.conf, for tshark
	smsHex   [][]string
	notified []*mms.Message
}

// dSendReq is Anna's M-Send.req to Ben and Carl: SMIL, text, image.
func dSendReq(tid string, report bool, expiry time.Duration) *mms.Message {
	m := &mms.Message{
		Type: mms.TypeSendReq, TransactionID: tid, Version: mms.Version12,
		From:        mms.Address{Insert: true},
		To:          []mms.Address{mms.PLMN(dBen), mms.PLMN(dCarl)},
		Subject:     mms.Text("Grüße"),
		Expiry:      mms.TimeValue{Relative: expiry},
		ContentType: mms.ContentType{MediaType: "application/vnd.wap.multipart.related", Params: []mms.Param{{Name: "start", Value: "<smil>"}, {Name: "type", Value: "application/smil"}}},
		Parts: []mms.Part{
			{ContentType: mms.ContentType{MediaType: "application/smil"}, ContentID: "<smil>", ContentLocation: "smil.xml",
				Data: []byte(`<smil><body><par><img src="cat.jpg"/><text src="t.txt"/></par></body></smil>`)},
			{ContentType: mms.ContentType{MediaType: "text/plain", Params: []mms.Param{{Name: "charset", Value: "utf-8"}}},
				ContentLocation: "t.txt", Data: []byte("a cat")},
			{ContentType: mms.ContentType{MediaType: "image/jpeg"}, ContentLocation: "cat.jpg",
				Data: bytes.Repeat([]byte{0xFF, 0xD8, 0x00, 0x7F, 0x80}, 3000)},
		},
	}
	if report {
		m.DeliveryReport = mms.Yes
	}
	return m
}

// send posts an M-Send.req from Anna and returns its Message-ID.
func (e *deliverE2E) send(m *mms.Message) string {
	e.t.Helper()
	pdu, err := m.Encode()
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := e.p.post("/mms/"+dTokA, pdu)
	if err != nil {
		e.t.Fatal(err)
	}
	c := checkConf(e.t, m.TransactionID, r, m.TransactionID, mms.Version12, mms.StatusOk)
	if c == nil {
		e.t.FailNow()
	}
	return c.MessageID
}

// next waits for the next WAP push and decodes it.
func (e *deliverE2E) next(to string) *mms.Message {
	e.t.Helper()
	ps := e.m.WaitPushes(e.t, e.pushes+1)
	push := ps[e.pushes]
	e.pushes++
	if push.To != to {
		e.t.Fatalf("push %d to %s, want %s", e.pushes, push.To, to)
	}
	var g []string
	for _, pdu := range push.PDUs {
		g = append(g, hex.EncodeToString(pdu))
	}
	e.smsHex = append(e.smsHex, g)
	m, err := mms.Decode(push.Body)
	if err != nil {
		e.t.Fatalf("push %d: %v", e.pushes, err)
	}
	return m
}

func (e *deliverE2E) notification(to string) *mms.Message {
	e.t.Helper()
	n := e.next(to)
	if n.Type != mms.TypeNotificationInd || !strings.HasPrefix(n.ContentLocation, dPublic+"/m/") || n.MessageSize == 0 {
		e.t.Fatalf("notification: type %v location %q size %d", n.Type, n.ContentLocation, n.MessageSize)
	}
	pdu, _ := n.Encode()
	e.emitted = append(e.emitted, pdu)
	e.notified = append(e.notified, n)
	return n
}

func (e *deliverE2E) deliveryInd(id string, status byte) {
	e.t.Helper()
	d := e.next(dAnna)
	if d.Type != mms.TypeDeliveryInd || d.MessageID != id || d.Status != status || len(d.To) != 1 || d.To[0].String() != dBen+"/TYPE=PLMN" {
		e.t.Errorf("M-Delivery.ind: type %v id %q (want %q) status 0x%02X (want 0x%02X) to %v",
			d.Type, d.MessageID, id, d.Status, status, d.To)
	}
}

// ownerTold waits for the owner's SMS and checks it says what.
func (e *deliverE2E) ownerTold(what string) {
	e.t.Helper()
	for n := e.pushes + 1; ; n++ {
		for _, msg := range e.m.WaitMessages(e.t, n) {
			if msg.To == dOwner {
				if !strings.Contains(msg.Text, what) {
					e.t.Errorf("owner's SMS %q does not say %q", msg.Text, what)
				}
				return
			}
		}
	}
}

// get fetches a Content-Location from the listener, as Ben's phone.
func (e *deliverE2E) get(location string) *mms.Message {
	e.t.Helper()
	path := strings.TrimPrefix(location, dPublic)
	req, _ := http.NewRequest(http.MethodGet, "http://"+e.p.addr+path, nil)
	req.Header.Set("User-Agent", "Ben's phone/1.0")
	resp, err := e.p.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/vnd.wap.mms-message" {
		e.t.Fatalf("GET %s: HTTP %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	e.emitted = append(e.emitted, body)
	m, err := mms.Decode(body)
	if err != nil || m.Type != mms.TypeRetrieveConf {
		e.t.Fatalf("GET %s: %v, type %v", path, err, m.Type)
	}
	return m
}

func (e *deliverE2E) notFound(location string) {
	e.t.Helper()
	if m := e.get(location); m.RetrieveStatus != mms.RetrievePermanentMessageNotFound {
		e.t.Errorf("GET %s: retrieve status 0x%02X, want 0xE2", location, m.RetrieveStatus)
	}
}

// report posts an M-NotifyResp.ind or M-Acknowledge.ind as Ben's phone.
func (e *deliverE2E) report(token string, typ mms.MessageType, tid string, status byte) {
	e.t.Helper()
	pdu, err := (&mms.Message{Type: typ, TransactionID: tid, Version: mms.Version12, Status: status}).Encode()
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := e.p.post("/mms/"+token, pdu)
	if err != nil || r.Code != http.StatusOK || len(r.Body) != 0 {
		e.t.Fatalf("posting %v: %v, HTTP %d %q", typ, err, r.Code, r.Body)
	}
}

// metrics checks the delivery counters on /metrics after the run above:
// four notifications and four delivery reports, the fetches (two, and the
// self-test's) and the dead links (two ended, three wrong keys), each
// phone report, and each state entered (the self-test is not a delivery).
func (e *deliverE2E) metrics(lan string) {
	e.t.Helper()
	text := string(get(e.t, e.p.client, "http://"+lan+"/metrics").Body)
	for _, line := range []string{
		`homemmsc_delivery_pushes_total{result="sent"} 4`, `homemmsc_delivery_pushes_total{result="failed"} 0`,
		`homemmsc_delivery_fetches_total{result="found"} 3`, `homemmsc_delivery_fetches_total{result="not_found"} 5`,
		`homemmsc_delivery_reports_total{result="sent"} 4`,
		`homemmsc_delivery_phone_reports_total{pdu="notifyresp",status="retrieved"} 1`,
		`homemmsc_delivery_phone_reports_total{pdu="notifyresp",status="rejected"} 1`,
		`homemmsc_delivery_phone_reports_total{pdu="notifyresp",status="deferred"} 1`,
		`homemmsc_delivery_phone_reports_total{pdu="acknowledge",status="retrieved"} 1`,
		`homemmsc_delivery_recipients_total{state="notified"} 4`, `homemmsc_delivery_recipients_total{state="retrieved"} 2`,
		`homemmsc_delivery_recipients_total{state="deferred"} 1`, `homemmsc_delivery_recipients_total{state="rejected"} 1`,
		`homemmsc_delivery_recipients_total{state="expired"} 1`,
	} {
		if !strings.Contains(text, "\n"+line+"\n") {
			e.t.Errorf("/metrics lacks %q", line)
		}
	}
}

// oracles checks everything emitted with tshark and python3-gammu.
func (e *deliverE2E) oracles() {
	e.t.Helper()
	for i, d := range mmstest.Tshark(e.t, e.emitted) {
		for _, p := range d.Problems() {
			e.t.Errorf("tshark, PDU %d: %s", i, p)
		}
	}
	res := smstest.Gammu(e.t, e.smsHex)
	k, senders := 0, 0
	for i, r := range res {
		if r.Info == nil || len(r.Info.Entries) == 0 || r.Info.Entries[0].MMSIndicator == nil {
			continue // an M-Delivery.ind: gammu has no decoder for it
		}
		ind := r.Info.Entries[0].MMSIndicator
		if k >= len(e.notified) {
			e.t.Fatalf("gammu found more MMS indicators than notifications")
		}
		n := e.notified[k]
		k++
		if ind.Address != n.ContentLocation || ind.MessageSize != int(n.MessageSize) {
			e.t.Errorf("gammu, push %d: URL %q size %d; want %q %d", i, ind.Address, ind.MessageSize, n.ContentLocation, n.MessageSize)
		}
		if n.From.Value.Raw != nil {
			senders++
			if !strings.Contains(ind.Sender, dAnna) {
				e.t.Errorf("gammu, push %d: sender %q", i, ind.Sender)
			}
		}
	}
	if k != len(e.notified) || senders == 0 {
		e.t.Errorf("gammu read %d MMS indicators (%d with a sender), we sent %d notifications", k, senders, len(e.notified))
	}
}

func sameParts(t *testing.T, got, want []mms.Part) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d parts, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i].Data, want[i].Data) || got[i].ContentType.MediaType != want[i].ContentType.MediaType {
			t.Errorf("part %d differs from the posted one", i)
		}
	}
}
