package receiver

import (
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/prometheus/exporter-toolkit/web"
	"go.yaml.in/yaml/v2"
	"golang.org/x/crypto/bcrypt"
)

// webConfig is the --web.config.file of Prometheus components (github.com/prometheus/exporter-toolkit/web): TLS
// (tls_server_config), basic auth users with bcrypt-hashed passwords (basic_auth_users) and the response headers
// and HTTP/2 switch of http_server_config. The toolkit checks the file (web.Validate) and builds the TLS config
// (web.ConfigToTLSConfig); the receiver applies the users itself, next to its bearer token: the toolkit's handler
// would demand basic auth of every request, so the bearer token Alertmanager sends could not pass, and would answer
// in plain text.
type webConfig struct {
	tls     *web.TLSConfig    // nil: plain HTTP
	users   map[string]string // user -> bcrypt hash
	http2   bool
	headers map[string]string // set on every answer
}

// loadWebConfig reads and checks a web config file.
func loadWebConfig(path string) (*webConfig, error) {
	content, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	w, err := parseWebConfig(content, filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	// Then the toolkit's own checks: the headers, and that the certificate, the key and the client CAs load.
	if err := web.Validate(path); err != nil {
		return nil, err
	}
	return w, nil
}

// parseWebConfig parses a web config as the toolkit does (strict YAML, its defaults, paths relative to dir) and
// checks what the receiver needs on top.
func parseWebConfig(content []byte, dir string) (*webConfig, error) {
	c := web.Config{
		TLSConfig:  web.TLSConfig{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13},
		HTTPConfig: web.HTTPConfig{HTTP2: true},
	}
	if err := yaml.UnmarshalStrict(content, &c); err != nil {
		return nil, err
	}
	if c.RateLimiterConfig.Interval != 0 || c.RateLimiterConfig.Burst != 0 {
		return nil, errors.New("rate_limit: not supported: the receiver never answers 429, which Alertmanager takes as final and drops the notification")
	}
	w := &webConfig{http2: c.HTTPConfig.HTTP2, headers: c.HTTPConfig.Header, users: map[string]string{}}
	for user, hash := range c.Users {
		if strings.Contains(user, ":") {
			return nil, fmt.Errorf("basic_auth_users: user name %q: basic auth cannot carry a ':' in it", user)
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, fmt.Errorf("basic_auth_users: the password of %q is not a bcrypt hash (htpasswd -nBC 10 \"\" | tr -d ':\\n'): %v", user, err)
		}
		w.users[user] = string(hash)
	}
	if c.TLSConfig.IsEnabled() {
		t := c.TLSConfig
		t.SetDirectory(dir)
		if (t.TLSCertPath == "" && t.TLSCert == "") || (t.TLSKeyPath == "" && string(t.TLSKey) == "") {
			return nil, errors.New("tls_server_config: needs cert_file (or cert) and key_file (or key)")
		}
		switch t.ClientAuth {
		case "", "NoClientCert", "RequestClientCert", "RequireAnyClientCert", "RequireClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert":
		default:
			return nil, fmt.Errorf("tls_server_config.client_auth_type: %q is not one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert", t.ClientAuth)
		}
		if t.ClientAuth == "RequireAndVerifyClientCert" && t.ClientCAs == "" && t.ClientCAsText == "" {
			return nil, errors.New("tls_server_config: client_auth_type RequireAndVerifyClientCert needs client_ca_file (or client_ca): the CAs client certificates are verified against")
		}
		w.tls = &t
	} else if len(c.TLSConfig.ClientAllowedSans) > 0 {
		return nil, errors.New("tls_server_config.client_allowed_sans: needs TLS with client certificates")
	}
	return w, nil
}

// verifiesClients reports whether only clients with a certificate signed by the configured CAs can connect.
func (w *webConfig) verifiesClients() bool {
	return w != nil && w.tls != nil && w.tls.ClientAuth == "RequireAndVerifyClientCert"
}

// authenticates reports whether the web config keeps anonymous senders out: basic auth users or verified client
// certificates.
func (w *webConfig) authenticates() bool {
	return w != nil && (len(w.users) > 0 || w.verifiesClients())
}

// userNames lists the basic auth users, for the log.
func (w *webConfig) userNames() []string {
	names := make([]string, 0, len(w.users))
	for u := range w.users {
		names = append(names, u)
	}
	sort.Strings(names)
	return names
}

// tlsConfig builds the server's TLS config. The certificate and key are read again at each handshake (the
// toolkit's GetCertificate), so a renewed certificate is served without a restart.
func (w *webConfig) tlsConfig() (*tls.Config, error) {
	c, err := web.ConfigToTLSConfig(w.tls)
	if err != nil {
		return nil, fmt.Errorf("tls_server_config: %w", err)
	}
	return c, nil
}

// isLoopback reports whether a listen address (host:port) is on the loopback interface only: 127.0.0.0/8, ::1 or
// localhost. An empty host (":9095") is every interface.
func isLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil || host == "" {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// basicUsers checks basic auth against the web config's bcrypt hashes. bcrypt takes tens of milliseconds on
// purpose: like the toolkit, outcomes are cached (by a digest of user and password, so no password is kept), and
// one comparison runs at a time, so a flood of wrong passwords takes one core at most.
type basicUsers struct {
	hashes map[string][]byte
	mu     sync.Mutex
	cache  map[[sha256.Size]byte]bool
	bcrypt sync.Mutex
}

const basicCacheSize = 1024

// dummyHash is compared against for unknown users, so that the time of an answer does not tell which users exist
// (bcrypt of "fakepassword", cost 10, as the toolkit has it).
var dummyHash = []byte("$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi")

func newBasicUsers(users map[string]string) *basicUsers {
	if len(users) == 0 {
		return nil
	}
	b := &basicUsers{hashes: map[string][]byte{}, cache: map[[sha256.Size]byte]bool{}}
	for u, h := range users {
		b.hashes[u] = []byte(h)
	}
	return b
}

func (b *basicUsers) ok(user, pass string) bool {
	h := sha256.New()
	h.Write([]byte(user))
	h.Write([]byte{0})
	h.Write([]byte(pass))
	var key [sha256.Size]byte
	h.Sum(key[:0])
	b.mu.Lock()
	ok, cached := b.cache[key]
	b.mu.Unlock()
	if cached {
		return ok
	}
	hash, known := b.hashes[user]
	if !known {
		hash = dummyHash
	}
	b.bcrypt.Lock()
	ok = bcrypt.CompareHashAndPassword(hash, []byte(pass)) == nil && known
	b.bcrypt.Unlock()
	b.mu.Lock()
	if len(b.cache) >= basicCacheSize {
		clear(b.cache)
	}
	b.cache[key] = ok
	b.mu.Unlock()
	return ok
}
