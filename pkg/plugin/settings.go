package plugin

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/firebreak-dev/firebreak/pkg/containment"
	"github.com/firebreak-dev/firebreak/pkg/httperr"
	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/report"
)

// Settings are the app's settings, from Grafana's jsonData and secureJsonData, loaded and checked in one place.
type Settings struct {
	ClickHouse ClickHouseSettings
	Receiver   ReceiverSettings
	SLA        incident.SLATargets
	Escalation map[incident.Severity][]Contact
	// Containment is the catalog of containment actions per AI system; their secrets come from secureJsonData.
	Containment containment.Catalog
	// PrometheusURL is where evidence snapshots evaluate the alerts' expressions ("" for none).
	PrometheusURL string
	// SigningKey is the receiver's public key, which verify checks the signed chain heads with (nil: not set).
	SigningKey ed25519.PublicKey
	// AISystems are the facts of each AI system that regulatory reports cite (provider, EU database registration id,
	// authority, ...), by the name incidents give it (ai_system).
	AISystems map[string]report.AISystemFacts
}

// ClickHouseSettings say where the incidents are.
type ClickHouseSettings struct {
	Address       string // host:port of the native protocol
	Database      string
	User          string
	Password      string // secureJsonData.clickhousePassword
	TLS           bool
	TLSSkipVerify bool
}

// ReceiverSettings say where the Firebreak receiver is: it writes every change, so that alerts and people append
// to one timeline in order.
type ReceiverSettings struct {
	URL      string
	APIToken string // secureJsonData.receiverApiToken
}

// Contact is someone to escalate to, shown on incidents of a severity.
type Contact struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

type jsonData struct {
	ClickHouse struct {
		Address       string `json:"address"`
		Database      string `json:"database"`
		User          string `json:"user"`
		TLS           bool   `json:"tls"`
		TLSSkipVerify bool   `json:"tlsSkipVerify"`
	} `json:"clickhouse"`
	Receiver struct {
		URL string `json:"url"`
	} `json:"receiver"`
	SLA         map[string]incident.SLASpec `json:"sla"`
	Escalation  map[string][]Contact        `json:"escalation"`
	Containment json.RawMessage             `json:"containment"`
	Prometheus  struct {
		URL string `json:"url"`
	} `json:"prometheus"`
	Signing struct {
		PublicKey string `json:"publicKey"`
	} `json:"signing"`
	AISystems json.RawMessage `json:"aiSystems"`
}

// LoadSettings reads and checks the app's settings. Errors name the field: "jsonData.clickhouse.address: missing".
func LoadSettings(s backend.AppInstanceSettings) (*Settings, error) {
	var j jsonData
	if len(s.JSONData) > 0 {
		if err := json.Unmarshal(s.JSONData, &j); err != nil {
			return nil, prefixed("jsonData", httperr.DescribeJSON(err, s.JSONData, &j))
		}
	}
	out := &Settings{
		ClickHouse: ClickHouseSettings{Address: strings.TrimSpace(j.ClickHouse.Address), Database: j.ClickHouse.Database,
			User: j.ClickHouse.User, Password: s.DecryptedSecureJSONData["clickhousePassword"], TLS: j.ClickHouse.TLS,
			TLSSkipVerify: j.ClickHouse.TLSSkipVerify},
		Receiver:   ReceiverSettings{URL: strings.TrimRight(strings.TrimSpace(j.Receiver.URL), "/"), APIToken: s.DecryptedSecureJSONData["receiverApiToken"]},
		Escalation: map[incident.Severity][]Contact{},
	}
	var errs []error
	var err error
	if out.ClickHouse.Database == "" {
		out.ClickHouse.Database = "firebreak"
	}
	if out.ClickHouse.User == "" {
		out.ClickHouse.User = "default"
	}
	if out.ClickHouse.Address == "" {
		errs = append(errs, errors.New("jsonData.clickhouse.address: missing (host:port of ClickHouse's native protocol, e.g. clickhouse:9000)"))
	} else if _, _, err := net.SplitHostPort(out.ClickHouse.Address); err != nil {
		errs = append(errs, fmt.Errorf("jsonData.clickhouse.address: %q is not host:port", out.ClickHouse.Address))
	}
	if !validIdentifier(out.ClickHouse.Database) {
		errs = append(errs, fmt.Errorf("jsonData.clickhouse.database: %q: use letters, digits and _ only", out.ClickHouse.Database))
	}
	if u, err := url.Parse(out.Receiver.URL); out.Receiver.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("jsonData.receiver.url: %q is not an http(s) URL of the Firebreak receiver", out.Receiver.URL))
	}
	if out.Receiver.APIToken == "" {
		errs = append(errs, errors.New("secureJsonData.receiverApiToken: missing (the receiver's --api-token-file content)"))
	}
	if out.SLA, err = incident.SLATargetsFrom(j.SLA, "jsonData.sla"); err != nil {
		errs = append(errs, err)
	}
	for name, contacts := range j.Escalation {
		sev, err := incident.ParseSeverity(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("jsonData.escalation.%s: %w", name, err))
			continue
		}
		for i, c := range contacts {
			if strings.TrimSpace(c.Name) == "" {
				errs = append(errs, fmt.Errorf("jsonData.escalation.%s[%d].name: missing", name, i))
			}
		}
		out.Escalation[sev] = contacts
	}
	if out.Containment, err = containment.ParseCatalog(j.Containment, s.DecryptedSecureJSONData); err != nil {
		errs = append(errs, err)
	}
	if p := strings.TrimRight(strings.TrimSpace(j.Prometheus.URL), "/"); p != "" {
		if u, err := url.Parse(p); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("jsonData.prometheus.url: %q is not an http(s) URL of Prometheus (without credentials or query)", containment.Redact(p)))
		}
		out.PrometheusURL = p
	}
	if k := strings.TrimSpace(j.Signing.PublicKey); k != "" {
		if out.SigningKey, err = incident.ParsePublicKey(k); err != nil {
			errs = append(errs, fmt.Errorf("jsonData.signing.publicKey: %w", err))
		}
	}
	if out.AISystems, err = parseAISystems(j.AISystems); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// parseAISystems reads jsonData.aiSystems: {"<ai_system>": {name, provider, registrationId, authority, submitterRole,
// contact}}, every field optional (what is missing is left for a person to fill in the reports).
func parseAISystems(raw json.RawMessage) (map[string]report.AISystemFacts, error) {
	out := map[string]report.AISystemFacts{}
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	if err := httperr.DecodeStrict(raw, &out); err != nil {
		return nil, prefixed("jsonData.aiSystems", err.(*httperr.FieldError))
	}
	var errs []error
	for name, f := range out {
		field := "jsonData.aiSystems." + name
		if strings.TrimSpace(name) == "" || len(name) > 200 {
			errs = append(errs, fmt.Errorf("jsonData.aiSystems: %q is not an AI system name (1 to 200 bytes of UTF-8)", incident.Truncate(name, 50)))
		}
		for _, v := range []struct{ name, value string }{{"name", f.Name}, {"provider", f.Provider}, {"registrationId", f.RegistrationID},
			{"authority", f.Authority}, {"contact", f.Contact}} {
			if len(v.value) > 1000 {
				errs = append(errs, fmt.Errorf("%s.%s: longer than 1000 bytes of UTF-8", field, v.name))
			}
		}
		if f.SubmitterRole != "" && !slices.Contains(report.SubmitterRoles, f.SubmitterRole) {
			errs = append(errs, fmt.Errorf("%s.submitterRole: %q is not one of %s", field, incident.Truncate(f.SubmitterRole, 50), strings.Join(report.SubmitterRoles, ", ")))
		}
	}
	return out, errors.Join(errs...)
}

// prefixed names a field of a settings object: "jsonData.clickhouse.tls: expected true or false, got 1".
func prefixed(prefix string, e *httperr.FieldError) error {
	switch {
	case e.Field == "":
		return fmt.Errorf("%s: %s", prefix, e.Problem)
	case strings.HasPrefix(e.Field, "["):
		return fmt.Errorf("%s%s: %s", prefix, e.Field, e.Problem)
	}
	return fmt.Errorf("%s.%s: %s", prefix, e.Field, e.Problem)
}

func validIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || (i > 0 && r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

// DSN is the clickhouse-go DSN of the settings (it carries the password: never log it).
func (c ClickHouseSettings) DSN() string {
	q := url.Values{}
	q.Set("dial_timeout", "5s")
	if c.TLS {
		q.Set("secure", "true")
	}
	if c.TLSSkipVerify {
		q.Set("skip_verify", "true")
	}
	u := url.URL{Scheme: "clickhouse", User: url.UserPassword(c.User, c.Password), Host: c.Address, Path: "/" + c.Database, RawQuery: q.Encode()}
	return u.String()
}
