package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeSelfSigned writes a self-signed certificate for 127.0.0.1 and
// localhost, and its key, as PEM files in dir.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ksql test broker"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile = writeFile(t, dir, "broker.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	keyFile = writeFile(t, dir, "broker.key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
	return certFile, keyFile
}

// startFails runs `ksql server` with args and returns its output; it
// must exit with an error before the engine opens its data directory.
func startFails(t *testing.T, args ...string) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	all := append([]string{"server", "--data-dir", data, "--listen", "127.0.0.1:0", "--kafka-listen", "127.0.0.1:0"}, args...)
	out, err := exec.Command(ksqlBinary, all...).CombinedOutput()
	if err == nil {
		t.Fatalf("ksql server %s started:\n%s", strings.Join(args, " "), out)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("ksql server %s opened its data directory before failing (%v)", strings.Join(args, " "), err)
	}
	return string(out)
}

// TestKafkaTLSFlagsCheckedAtStart: the certificate and key are loaded
// before the engine opens; a mistake names the flag.
func TestKafkaTLSFlagsCheckedAtStart(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeSelfSigned(t, dir)
	otherCert, _ := writeSelfSigned(t, t.TempDir())
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"cert without key", []string{"--kafka-tls-cert", cert}, "--kafka-tls-cert and --kafka-tls-key go together"},
		{"key without cert", []string{"--kafka-tls-key", key}, "--kafka-tls-cert and --kafka-tls-key go together"},
		{"missing file", []string{"--kafka-tls-cert", filepath.Join(dir, "nope.pem"), "--kafka-tls-key", key}, "--kafka-tls-cert " + filepath.Join(dir, "nope.pem")},
		{"key of another certificate", []string{"--kafka-tls-cert", otherCert, "--kafka-tls-key", key}, "private key does not match public key"},
		{"over an external cluster", []string{"--kafka-listen", "", "--bootstrap-servers", "127.0.0.1:1", "--kafka-tls-cert", cert, "--kafka-tls-key", key}, "--kafka-tls-cert configures the listener of the embedded log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if out := startFails(t, tc.args...); !strings.Contains(out, tc.want) {
				t.Fatalf("output lacks %q:\n%s", tc.want, out)
			}
		})
	}
}

// TestKcatOverTLS: with --kafka-tls-cert and --kafka-tls-key the
// listener speaks TLS (security.protocol SSL); kcat trusting the
// certificate lists the topics, and one speaking plaintext fails.
func TestKcatOverTLS(t *testing.T) {
	kcat(t)
	dir := t.TempDir()
	cert, key := writeSelfSigned(t, dir)
	s := startServerArgs(t, "server", "--data-dir", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0", "--kafka-listen", "127.0.0.1:0",
		"--kafka-tls-cert", cert, "--kafka-tls-key", key)
	if s.kafka == "" || !strings.Contains(s.logs.String(), "over SSL") {
		t.Fatalf("the server did not report a TLS Kafka listener:\n%s", s.logs)
	}
	out := runKcat(t, "", "-b", s.kafka, "-X", "security.protocol=SSL", "-X", "ssl.ca.location="+cert, "-L")
	if !strings.Contains(out, "1 brokers:") {
		t.Fatalf("kcat -L over TLS:\n%s", out)
	}
	plain := exec.Command(kcat(t), "-b", s.kafka, "-L", "-m", "3")
	if out, err := plain.CombinedOutput(); err == nil {
		t.Fatalf("a plaintext kcat listed the metadata of a TLS listener:\n%s", out)
	}
}

// TestKafkaSASLUsersFileCheckedAtStart: a mistake in --kafka-sasl-users
// stops the start, as file:line.
func TestKafkaSASLUsersFileCheckedAtStart(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ content, want string }{
		{"# users\nalice:secret\nbob\n", "users.txt:3: expected user:password"},
		{":secret\n", "users.txt:1: empty user name"},
		{"alice:\n", "users.txt:1: empty password for user alice"},
		{"alice:a\n\nalice:b\n", "users.txt:3: user alice given twice"},
		{"# nobody\n\n", "users.txt: no users"},
	} {
		file := writeFile(t, dir, "users.txt", tc.content)
		if out := startFails(t, "--kafka-sasl-users", file); !strings.Contains(out, "--kafka-sasl-users: ") || !strings.Contains(out, tc.want) {
			t.Errorf("users file %q: output lacks %q:\n%s", tc.content, tc.want, out)
		}
	}
	if out := startFails(t, "--kafka-sasl-users", filepath.Join(dir, "missing.txt")); !strings.Contains(out, "--kafka-sasl-users: open ") {
		t.Errorf("a missing users file:\n%s", out)
	}
}

// TestKcatSASL: kcat authenticates with SASL/PLAIN, over plaintext
// (SASL_PLAINTEXT) and over TLS (SASL_SSL); a wrong password or no SASL
// at all gets no metadata.
func TestKcatSASL(t *testing.T) {
	kcat(t)
	dir := t.TempDir()
	users := writeFile(t, dir, "users.txt", "# test users\nalice:alice-secret\nbob:pa:ss\n")
	cert, key := writeSelfSigned(t, dir)
	for _, tc := range []struct {
		protocol string
		args     []string
		kcatTLS  []string
	}{
		{"SASL_PLAINTEXT", nil, nil},
		{"SASL_SSL", []string{"--kafka-tls-cert", cert, "--kafka-tls-key", key}, []string{"-X", "ssl.ca.location=" + cert}},
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			args := append([]string{"server", "--data-dir", filepath.Join(t.TempDir(), "data"), "--listen", "127.0.0.1:0", "--kafka-listen", "127.0.0.1:0", "--kafka-sasl-users", users}, tc.args...)
			s := startServerArgs(t, args...)
			if s.kafka == "" || !strings.Contains(s.logs.String(), "over "+tc.protocol) {
				t.Fatalf("the server did not report a %s Kafka listener:\n%s", tc.protocol, s.logs)
			}
			sasl := func(user, pass string) []string {
				return append([]string{"-b", s.kafka, "-X", "security.protocol=" + tc.protocol, "-X", "sasl.mechanisms=PLAIN",
					"-X", "sasl.username=" + user, "-X", "sasl.password=" + pass}, tc.kcatTLS...)
			}
			if out := runKcat(t, "", append(sasl("bob", "pa:ss"), "-L")...); !strings.Contains(out, "1 brokers:") {
				t.Fatalf("kcat -L with the right password:\n%s", out)
			}
			bad := exec.Command(kcat(t), append(sasl("alice", "wrong"), "-L", "-m", "3")...)
			if out, err := bad.CombinedOutput(); err == nil {
				t.Fatalf("kcat with a wrong password listed the metadata:\n%s", out)
			} else if !strings.Contains(string(out), "Authentication failed") {
				t.Errorf("kcat with a wrong password did not say why:\n%s", out)
			}
			none := exec.Command(kcat(t), append(append([]string{"-b", s.kafka, "-L", "-m", "3"}, tc.kcatTLS...), securityOnly(tc.protocol)...)...)
			if out, err := none.CombinedOutput(); err == nil {
				t.Fatalf("kcat without SASL listed the metadata:\n%s", out)
			}
		})
	}
}

// securityOnly is the security.protocol without SASL of a SASL one.
func securityOnly(protocol string) []string {
	if protocol == "SASL_SSL" {
		return []string{"-X", "security.protocol=SSL"}
	}
	return nil
}
