package receiver

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// pki is a CA, a server certificate for 127.0.0.1 and a client certificate, written as PEM files into dir.
type pki struct {
	dir                           string
	caFile, certFile, keyFile     string
	clientCertFile, clientKeyFile string
	pool                          *x509.CertPool
	client                        tls.Certificate
	otherClient                   tls.Certificate // signed by another CA
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	p := &pki{dir: dir, caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "server.pem"), keyFile: filepath.Join(dir, "server-key.pem"),
		clientCertFile: filepath.Join(dir, "client.pem"), clientKeyFile: filepath.Join(dir, "client-key.pem"), pool: x509.NewCertPool()}
	ca, caKey := newCert(t, nil, nil, &x509.Certificate{Subject: pkix.Name{CommonName: "firebreak test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign})
	p.pool.AddCert(ca)
	writePEM(t, p.caFile, "CERTIFICATE", ca.Raw)
	server, serverKey := newCert(t, ca, caKey, &x509.Certificate{Subject: pkix.Name{CommonName: "firebreak-receiver"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	writePEM(t, p.certFile, "CERTIFICATE", server.Raw)
	writeKey(t, p.keyFile, serverKey)
	client, clientKey := newCert(t, ca, caKey, &x509.Certificate{Subject: pkix.Name{CommonName: "alertmanager"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	writePEM(t, p.clientCertFile, "CERTIFICATE", client.Raw)
	writeKey(t, p.clientKeyFile, clientKey)
	var err error
	p.client, err = tls.LoadX509KeyPair(p.clientCertFile, p.clientKeyFile)
	require.NoError(t, err)
	otherCA, otherKey := newCert(t, nil, nil, &x509.Certificate{Subject: pkix.Name{CommonName: "another CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign})
	other, otherClientKey := newCert(t, otherCA, otherKey, &x509.Certificate{Subject: pkix.Name{CommonName: "mallory"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	p.otherClient = tls.Certificate{Certificate: [][]byte{other.Raw}, PrivateKey: otherClientKey}
	return p
}

var serial int64

func newCert(t *testing.T, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, tmpl *x509.Certificate) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert, key
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
}

func writeKey(t *testing.T, path string, key *ecdsa.PrivateKey) {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	writePEM(t, path, "EC PRIVATE KEY", der)
}

func writeWebConfig(t *testing.T, dir, content string) string {
	t.Helper()
	path := filepath.Join(dir, "web.yml")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func bcryptHash(t *testing.T, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	require.NoError(t, err)
	return string(h)
}

// send posts a notification to url with the client and returns the status and body.
func send(t *testing.T, c *http.Client, url string, header ...string) (int, string, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/api/v1/webhook", bytes.NewReader(notification("g", "firing", time.Now(), "f1")))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func tlsClient(roots *x509.CertPool, certs ...tls.Certificate) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true,
		TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs, MinVersion: tls.VersionTLS12}}}
}

// The receiver serves TLS from a Prometheus web config: a client that trusts the CA gets its notification
// accepted over HTTPS, next to the bearer token; plain HTTP gets no notification in.
func TestWebConfigTLS(t *testing.T) {
	p := newPKI(t)
	webFile := writeWebConfig(t, p.dir, "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n")
	r := startReceiver(t, map[string]string{"FIREBREAK_TOKEN": "t0ken"}, "--web.config.file", webFile,
		"--spool-dir", filepath.Join(t.TempDir(), "spool"), "--clickhouse-dsn", unreachableDSN)
	url := strings.Replace(r.url, "http://", "https://", 1)

	code, body, err := send(t, tlsClient(p.pool), url, "Authorization", "Bearer t0ken")
	require.NoError(t, err)
	assert.Equal(t, 200, code, body)
	code, body, err = send(t, tlsClient(p.pool), url, "Authorization", "Bearer wrong")
	require.NoError(t, err)
	assert.Equal(t, 401, code, "TLS does not replace the token")
	assert.Contains(t, body, `"error"`)

	_, _, err = send(t, tlsClient(x509.NewCertPool()), url, "Authorization", "Bearer t0ken")
	var unknownCA x509.UnknownAuthorityError
	assert.True(t, errors.As(err, &unknownCA), "a client that does not trust the CA: %v", err)
	code, _, err = send(t, http.DefaultClient, r.url, "Authorization", "Bearer t0ken")
	if err == nil {
		assert.Equal(t, 400, code, "plain HTTP on the TLS port is refused")
	}
	resp, err := tlsClient(p.pool).Get(url + "/-/healthy")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "HTTP/2.0", resp.Proto, "HTTP/2 as in the toolkit's default")
}

// Client certificates verified against the web config's CA are authentication enough: no token needed, and
// without a certificate (or with another CA's) no connection.
func TestWebConfigClientCertificates(t *testing.T) {
	p := newPKI(t)
	webFile := writeWebConfig(t, p.dir, "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n"+
		"  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\nhttp_server_config:\n  http2: false\n")
	cfg, err := ParseConfig([]string{"--listen", "0.0.0.0:0", "--web.config.file", webFile}, envMap(nil), io.Discard)
	require.NoError(t, err, "verified client certificates count as authentication on any address")
	assert.True(t, cfg.web.authenticates())
	r := startReceiver(t, nil, "--web.config.file", webFile, "--spool-dir", filepath.Join(t.TempDir(), "spool"), "--clickhouse-dsn", unreachableDSN)
	url := strings.Replace(r.url, "http://", "https://", 1)
	code, body, err := send(t, tlsClient(p.pool, p.client), url)
	require.NoError(t, err)
	assert.Equal(t, 200, code, body)
	_, _, err = send(t, tlsClient(p.pool), url)
	assert.Error(t, err, "no client certificate")
	_, _, err = send(t, tlsClient(p.pool, p.otherClient), url)
	assert.Error(t, err, "a certificate of another CA")
	resp, err := tlsClient(p.pool, p.client).Get(url + "/-/healthy")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "HTTP/1.1", resp.Proto, "http2: false is honoured")
}

// Basic auth users with bcrypt hashes, as in Prometheus, next to the bearer token Alertmanager sends: either
// passes the webhook; /metrics wants them too; the probes stay open. Refusals are JSON.
func TestWebConfigBasicAuth(t *testing.T) {
	dir := t.TempDir()
	webFile := writeWebConfig(t, dir, "basic_auth_users:\n  alertmanager: "+bcryptHash(t, "s3cret-pw")+"\n  grafana: "+bcryptHash(t, "other-pw")+"\n"+
		"http_server_config:\n  headers:\n    X-Frame-Options: deny\n")
	r := startReceiver(t, map[string]string{"FIREBREAK_TOKEN": "t0ken"}, "--web.config.file", webFile,
		"--spool-dir", filepath.Join(dir, "spool"), "--clickhouse-dsn", unreachableDSN)
	basic := func(user, pass string) []string {
		req, _ := http.NewRequest("GET", "/", nil)
		req.SetBasicAuth(user, pass)
		return []string{"Authorization", req.Header.Get("Authorization")}
	}
	for _, tc := range []struct {
		name   string
		header []string
		code   int
	}{
		{"user", basic("alertmanager", "s3cret-pw"), 200},
		{"other user", basic("grafana", "other-pw"), 200},
		{"bearer token next to it", []string{"Authorization", "Bearer t0ken"}, 200},
		{"wrong password", basic("alertmanager", "s3cret-pX"), 401},
		{"password of another user", basic("alertmanager", "other-pw"), 401},
		{"unknown user", basic("mallory", "s3cret-pw"), 401},
		{"the hash as password", basic("alertmanager", "$2a$04$"), 401},
		{"nothing", nil, 401},
		{"wrong password again (cached)", basic("alertmanager", "s3cret-pX"), 401},
		{"user again (cached)", basic("alertmanager", "s3cret-pw"), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(t, r.url, notification("g", "firing", time.Now(), "f1"), tc.header...)
			assert.Equal(t, tc.code, code, body)
			var out map[string]any
			require.NoError(t, json.Unmarshal([]byte(body), &out), body)
			if code == 401 {
				assert.Contains(t, out["error"], "missing or wrong credentials")
			}
		})
	}
	get := func(path string, header ...string) (int, http.Header, string) {
		req, _ := http.NewRequest(http.MethodGet, r.url+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	code, h, body := get("/metrics")
	assert.Equal(t, 401, code, "metrics want credentials when the web config has users, as in Prometheus")
	assert.Equal(t, "application/json", h.Get("Content-Type"))
	assert.Contains(t, body, `"error"`)
	assert.Equal(t, `Basic realm="firebreak"`, h.Get("WWW-Authenticate"))
	code, h, body = get("/metrics", basic("grafana", "other-pw")...)
	assert.Equal(t, 200, code)
	assert.Contains(t, body, `firebreak_notifications_received_total{outcome="accepted",source="alertmanager"} 4`)
	assert.Equal(t, "deny", h.Get("X-Frame-Options"), "http_server_config.headers are set")
	code, _, _ = get("/-/healthy")
	assert.Equal(t, 200, code, "probes stay open")
	code, _, _ = get("/-/ready")
	assert.Equal(t, 200, code)
}

// With no authentication at all, the receiver listens on loopback only, unless told otherwise in so many words.
func TestListenBeyondLoopbackNeedsAuthentication(t *testing.T) {
	dir := t.TempDir()
	usersFile := writeWebConfig(t, dir, "basic_auth_users:\n  am: "+bcryptHash(t, "pw")+"\n")
	tlsOnly := newPKI(t)
	tlsFile := writeWebConfig(t, tlsOnly.dir, "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.pem\n")
	const refusal = "refusing to listen on %s with no authentication: anyone who can reach it could declare incidents. " +
		"Set a bearer token (--token-file or FIREBREAK_TOKEN; Alertmanager sends it with http_config.authorization), " +
		"basic_auth_users or client certificates (client_auth_type: RequireAndVerifyClientCert) in --web.config.file, " +
		"or --basic-auth-file; or listen on loopback only (--listen 127.0.0.1:%s); or pass --web.listen-unauthenticated to accept anyone"
	for _, tc := range []struct {
		listen string
		args   []string
		env    map[string]string
		port   string // of the refusal; "" when accepted
	}{
		{"0.0.0.0:9095", nil, nil, "9095"},
		{":9095", nil, nil, "9095"},
		{"[::]:9095", nil, nil, "9095"},
		{"192.0.2.1:9095", nil, nil, "9095"},
		{"receiver.example:9095", nil, nil, "9095"},
		{"0.0.0.0:9095", []string{"--web.config.file", tlsFile}, nil, "9095"}, // TLS alone, optional client certificates: no authentication
		{"0.0.0.0:9095", []string{"--api-token-file", writeWebConfig(t, t.TempDir(), "api")}, nil, "9095"}, // the plugin's API token guards only that API
		{"0.0.0.0:9095", []string{"--web.listen-unauthenticated"}, nil, ""},
		{"0.0.0.0:9095", nil, map[string]string{"FIREBREAK_WEB_LISTEN_UNAUTHENTICATED": "true"}, ""},
		{"0.0.0.0:9095", nil, map[string]string{"FIREBREAK_TOKEN": "t"}, ""},
		{"0.0.0.0:9095", nil, map[string]string{"FIREBREAK_BASIC_AUTH": "am:pw"}, ""},
		{"0.0.0.0:9095", []string{"--web.config.file", usersFile}, nil, ""},
		{"127.0.0.1:9095", nil, nil, ""},
		{"127.1.2.3:9095", nil, nil, ""},
		{"[::1]:9095", nil, nil, ""},
		{"localhost:9095", nil, nil, ""},
	} {
		_, err := ParseConfig(append([]string{"--listen", tc.listen}, tc.args...), envMap(tc.env), io.Discard)
		if tc.port == "" {
			assert.NoError(t, err, "%s %v %v", tc.listen, tc.args, tc.env)
			continue
		}
		require.Error(t, err, "%s %v %v", tc.listen, tc.args, tc.env)
		assert.Equal(t, fmt.Sprintf(refusal, tc.listen, tc.port), err.Error())
	}

	// The binary, as an operator starts it: exit status 2 and the reason; with the flag it serves, on every
	// interface (reached here through loopback).
	bin := testenv.GoBuild(t, "receiver")
	cmd := exec.Command(bin, "--listen", "0.0.0.0:0", "--spool-dir", filepath.Join(t.TempDir(), "spool"), "--clickhouse-dsn", unreachableDSN)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v: %s", err, out)
	assert.Equal(t, 2, exit.ExitCode())
	assert.Contains(t, string(out), "firebreak-receiver: refusing to listen on 0.0.0.0:0 with no authentication")
	assert.Contains(t, string(out), "--web.listen-unauthenticated")

	r := startReceiver(t, nil, "--listen", "0.0.0.0:0", "--web.listen-unauthenticated",
		"--spool-dir", filepath.Join(t.TempDir(), "spool"), "--clickhouse-dsn", unreachableDSN)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(r.url, "http://"))
	require.NoError(t, err)
	code, body := post(t, "http://127.0.0.1:"+port, notification("g", "firing", time.Now(), "f1"))
	assert.Equal(t, 200, code, body)
}

func TestWebConfigErrors(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct{ content, want string }{
		{"basic_auth_users:\n  am: plain-password\n", `basic_auth_users: the password of "am" is not a bcrypt hash`},
		{"basic_auth_users:\n  'a:m': " + bcryptHash(t, "pw") + "\n", `user name "a:m"`},
		{"rate_limit:\n  burst: 10\n  interval: 1s\n", "rate_limit: not supported: the receiver never answers 429"},
		{"tls_server_config:\n  cert_file: server.pem\n", "key"},
		{"tls_server_config:\n  cert_file: missing.pem\n  key_file: server-key.pem\n", "missing.pem"},
		{"tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n  client_auth_type: Sometimes\n", "Sometimes"},
		{"tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n  client_ca_file: ca.pem\n", "client CA"},
		{"basic_auth_users: [am]\n", "line 1"},
		{"tls_config:\n  cert_file: server.pem\n", "tls_config"},
		{"http_server_config:\n  headers:\n    Server: firebreak\n", "Server"},
	} {
		path := writeWebConfig(t, p.dir, tc.content)
		_, err := ParseConfig([]string{"--listen", "127.0.0.1:0", "--web.config.file", path}, envMap(nil), io.Discard)
		require.Error(t, err, tc.content)
		assert.Contains(t, err.Error(), "--web.config.file "+path+": ")
		assert.Contains(t, err.Error(), tc.want, tc.content)
	}
	_, err := ParseConfig([]string{"--web.config.file", filepath.Join(p.dir, "nope.yml")}, envMap(map[string]string{"FIREBREAK_TOKEN": "t"}), io.Discard)
	assert.ErrorContains(t, err, "nope.yml")
}

// FuzzParseWebConfig: whatever the file says, parsing does not panic, and what it accepts holds together: users
// with bcrypt hashes and no ':' in their names, no rate limit, TLS with a certificate and a key, and
// authenticates() true exactly when there are users or verified client certificates.
func FuzzParseWebConfig(f *testing.F) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	for _, seed := range []string{
		"", "{}", "basic_auth_users:\n  am: " + string(hash) + "\n",
		"basic_auth_users:\n  am: nope\n",
		"tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n",
		"tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n",
		"tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n  client_auth_type: RequireAndVerifyClientCert\n",
		"tls_server_config:\n  client_allowed_sans: [a]\n",
		"tls_server_config:\n  cert: x\n  key: y\n  min_version: TLS13\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
		"http_server_config:\n  http2: false\n  headers:\n    X-Frame-Options: deny\n",
		"rate_limit:\n  interval: 1s\n", "rate_limit:\n  burst: 0\n", "unknown: 1\n", "basic_auth_users: {'': ''}\n", "- a\n- b\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		w, err := parseWebConfig(content, "/etc/firebreak")
		if err != nil {
			if w != nil {
				t.Fatal("an error and a config")
			}
			return
		}
		for user, h := range w.users {
			if strings.Contains(user, ":") {
				t.Fatalf("user %q accepted", user)
			}
			if _, err := bcrypt.Cost([]byte(h)); err != nil {
				t.Fatalf("hash of %q accepted: %v", user, err)
			}
		}
		if w.tls != nil {
			if (w.tls.TLSCertPath == "" && w.tls.TLSCert == "") || (w.tls.TLSKeyPath == "" && w.tls.TLSKey == "") {
				t.Fatal("TLS without a certificate or key accepted")
			}
			if w.tls.ClientAuth == "RequireAndVerifyClientCert" && w.tls.ClientCAs == "" && w.tls.ClientCAsText == "" {
				t.Fatal("verified client certificates without CAs accepted")
			}
		}
		want := len(w.users) > 0 || (w.tls != nil && w.tls.ClientAuth == "RequireAndVerifyClientCert")
		if w.authenticates() != want {
			t.Fatalf("authenticates() = %v for %q", !want, content)
		}
	})
}
