// Package smtptest runs a real SMTP submission server for tests: aiosmtpd
// from Debian's python3-aiosmtpd, with TLS (STARTTLS or implicit) and
// AUTH, on a certificate for 127.0.0.1 signed by a CA the test makes. It
// keeps every accepted e-mail byte for byte, and reads one back with
// Python's email package, a MIME parser this project did not write.
//
// RCPT TO a local part "full" is answered 452 (try later), "reject" 550.
// Tests skip when python3 with aiosmtpd is missing, and fail under CI
// (the CI environment variable set), which installs it.
package smtptest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

//go:embed smtpd.py
var smtpdPy []byte

//go:embed parse.py
var parsePy []byte

// The account the server accepts.
const (
	User     = "owner@example.org"
	Password = "s3cret pass"
)

// Server is a running aiosmtpd.
type Server struct {
	Port   int
	CAFile string         // the test CA's certificate, PEM (for SSL_CERT_FILE)
	Pool   *x509.CertPool // the same CA
	spool  string
	dir    string
	python string
}

// Python returns a python3 that has aiosmtpd (Debian's package is for
// /usr/bin/python3, which a pyenv shim on PATH may hide), or skips tb.
func Python(tb testing.TB) string {
	tb.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import aiosmtpd").Run() == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		tb.Fatal("no python3 with aiosmtpd; CI must install python3-aiosmtpd")
	}
	tb.Skip("no python3 with aiosmtpd (apt-get install python3-aiosmtpd); CI runs this")
	return ""
}

// Start runs the server in mode "starttls" or "tls" until the test ends.
func Start(tb testing.TB, mode string) *Server {
	tb.Helper()
	s := &Server{python: Python(tb), dir: tb.TempDir()}
	cert, key := s.makeCA(tb)
	s.spool = filepath.Join(s.dir, "spool")
	must(tb, os.Mkdir(s.spool, 0o700))
	script := filepath.Join(s.dir, "smtpd.py")
	must(tb, os.WriteFile(script, smtpdPy, 0o600))
	must(tb, os.WriteFile(filepath.Join(s.dir, "parse.py"), parsePy, 0o600))
	s.Port = FreePort(tb)
	cmd := exec.Command(s.python, script, strconv.Itoa(s.Port), mode, cert, key, User, Password, s.spool)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	must(tb, cmd.Start())
	tb.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "READY" {
		tb.Fatalf("smtpd.py did not start: %q %v", line, err)
	}
	return s
}

// FreePort is a TCP port on 127.0.0.1 nothing listens on (just now).
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(tb, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// makeCA makes a CA and a certificate for 127.0.0.1 signed by it and
// returns the files of the server's certificate and key.
func (s *Server) makeCA(tb testing.TB) (certFile, keyFile string) {
	tb.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "homemmsc test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	must(tb, err)
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	must(tb, err)
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(s.dir, "cert.pem"), filepath.Join(s.dir, "key.pem")
	s.CAFile = filepath.Join(s.dir, "ca.pem")
	must(tb, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	must(tb, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
	must(tb, os.WriteFile(s.CAFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600))
	s.Pool = x509.NewCertPool()
	s.Pool.AddCert(caCert)
	return certFile, keyFile
}

// Received lists the files of the e-mails the server accepted, in order.
func (s *Server) Received() []string {
	var out []string
	for i := 1; ; i++ {
		f := filepath.Join(s.spool, strconv.Itoa(i)+".eml")
		if _, err := os.Stat(f); err != nil {
			return out
		}
		out = append(out, f)
	}
}

// Envelope is the MAIL FROM and RCPT TO of an accepted e-mail.
func Envelope(tb testing.TB, eml string) []string {
	tb.Helper()
	b, err := os.ReadFile(strings.TrimSuffix(eml, ".eml") + ".env")
	must(tb, err)
	return strings.Fields(string(b))
}

// Mail is an e-mail as Python's email package reads it.
type Mail struct {
	Subject     string       `json:"subject"`
	From        string       `json:"from"`
	To          []string     `json:"to"`
	Date        string       `json:"date"`
	MessageID   string       `json:"message_id"`
	Defects     []string     `json:"defects"` // what the parser found wrong
	Texts       []string     `json:"texts"`   // the inline text/plain parts, decoded
	Attachments []Attachment `json:"attachments"`
}

// Attachment is one attachment of a Mail.
type Attachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Data64      string `json:"data"`
}

// Data is the attachment's bytes.
func (a Attachment) Data() []byte {
	b, _ := base64.StdEncoding.DecodeString(a.Data64)
	return b
}

// Parse reads an accepted e-mail with Python's email package.
func (s *Server) Parse(tb testing.TB, eml string) Mail {
	tb.Helper()
	out, err := exec.Command(s.python, filepath.Join(s.dir, "parse.py"), eml).Output()
	if err != nil {
		tb.Fatalf("parse.py %s: %v", eml, err)
	}
	var m Mail
	must(tb, json.Unmarshal(out, &m))
	return m
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
