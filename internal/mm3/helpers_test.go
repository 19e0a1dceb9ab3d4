package mm3

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
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

// python returns a python3 that has aiosmtpd (Debian's python3-aiosmtpd
// is for /usr/bin/python3, which a pyenv shim on PATH may hide), or
// skips the test (fails it under CI, which installs it).
func python(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import aiosmtpd").Run() == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no python3 with aiosmtpd; CI must install python3-aiosmtpd")
	}
	t.Skip("no python3 with aiosmtpd (apt-get install python3-aiosmtpd); CI runs this")
	return ""
}

// testCA makes a CA and a certificate for 127.0.0.1 signed by it, writes
// the server's certificate and key for the SMTP server, and returns the
// pool that trusts the CA.
func testCA(t *testing.T, dir string) (*x509.CertPool, string, string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "homemmsc test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return pool, certFile, keyFile
}

const (
	testUser = "owner@example.org"
	testPass = "s3cret pass"
)

// server is a running aiosmtpd.
type server struct {
	port  int
	spool string
	pool  *x509.CertPool
}

// startServer runs testdata/smtpd.py in mode "starttls" or "tls".
func startServer(t *testing.T, mode string) *server {
	t.Helper()
	py := python(t)
	dir := t.TempDir()
	pool, cert, key := testCA(t, dir)
	spool := filepath.Join(dir, "spool")
	os.Mkdir(spool, 0o700)
	port := freePort(t)
	cmd := exec.Command(py, "testdata/smtpd.py", strconv.Itoa(port), mode, cert, key, testUser, testPass, spool)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "READY" {
		t.Fatalf("smtpd.py did not start: %q %v", line, err)
	}
	return &server{port: port, spool: spool, pool: pool}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (s *server) config(mode Security, to ...string) Config {
	return Config{Host: "127.0.0.1", Port: s.port, Security: mode, User: testUser, Password: testPass,
		From: "homemmsc@example.org", To: to, RootCAs: s.pool, Timeout: 20 * time.Second}
}

// received lists the e-mails the server accepted, in order.
func (s *server) received(t *testing.T) []string {
	t.Helper()
	var out []string
	for i := 1; ; i++ {
		f := filepath.Join(s.spool, strconv.Itoa(i)+".eml")
		if _, err := os.Stat(f); err != nil {
			return out
		}
		out = append(out, f)
	}
}

// parsed is an e-mail as Python's email package reads it.
type parsed struct {
	Subject     string   `json:"subject"`
	From        string   `json:"from"`
	To          []string `json:"to"`
	Date        string   `json:"date"`
	MessageID   string   `json:"message_id"`
	Defects     []string `json:"defects"`
	Texts       []string `json:"texts"`
	Attachments []struct {
		Filename    string `json:"filename"`
		ContentType string `json:"content_type"`
		Data        string `json:"data"`
	} `json:"attachments"`
}

func parse(t *testing.T, eml string) parsed {
	t.Helper()
	out, err := exec.Command(python(t), "testdata/parse.py", eml).Output()
	if err != nil {
		t.Fatalf("parse.py %s: %v", eml, err)
	}
	var p parsed
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p parsed) attachment(t *testing.T, i int) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(p.Attachments[i].Data)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
