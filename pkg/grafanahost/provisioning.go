package grafanahost

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"

	"gopkg.in/yaml.v3"
)

// Provisioned is an app's settings from a Grafana provisioning file (provisioning/plugins/*.yaml).
type Provisioned struct {
	JSONData       json.RawMessage
	SecureJSONData map[string]string
}

type provisioningFile struct {
	APIVersion int `yaml:"apiVersion"`
	Apps       []struct {
		Type           string            `yaml:"type"`
		OrgID          int               `yaml:"org_id"`
		Disabled       bool              `yaml:"disabled"`
		JSONData       map[string]any    `yaml:"jsonData"`
		SecureJSONData map[string]string `yaml:"secureJsonData"`
	} `yaml:"apps"`
}

// Grafana expands $VAR, ${VAR} and $__env{VAR} in provisioning files from its environment.
var envRef = regexp.MustCompile(`\$__env\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

func expandEnv(s string, getenv func(string) string) string {
	return envRef.ReplaceAllStringFunc(s, func(m string) string {
		g := envRef.FindStringSubmatch(m)
		for _, name := range g[1:] {
			if name != "" {
				return getenv(name)
			}
		}
		return m
	})
}

// LoadProvisioning reads the settings of app pluginID from a Grafana plugin provisioning file, expanding
// environment variables as Grafana does (getenv is os.Getenv unless set). Secrets never appear in its errors.
func LoadProvisioning(path, pluginID string, getenv func(string) string) (*Provisioned, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f provisioningFile
	if err := yaml.Unmarshal([]byte(expandEnv(string(raw), getenv)), &f); err != nil {
		return nil, fmt.Errorf("%s: not a Grafana provisioning file: %v", path, yamlErrorWithoutValues(err))
	}
	for _, app := range f.Apps {
		if app.Type != pluginID || app.Disabled {
			continue
		}
		p := &Provisioned{SecureJSONData: app.SecureJSONData}
		if app.JSONData != nil {
			if p.JSONData, err = json.Marshal(app.JSONData); err != nil {
				return nil, fmt.Errorf("%s: apps[type=%s].jsonData: %w", path, pluginID, err)
			}
		}
		return p, nil
	}
	return nil, fmt.Errorf("%s: no enabled app of type %s", path, pluginID)
}

// yamlErrorWithoutValues keeps a YAML error's line numbers but not the values it may quote (secrets are expanded
// into the file before it is parsed).
func yamlErrorWithoutValues(err error) string {
	if te, ok := err.(*yaml.TypeError); ok {
		return fmt.Sprintf("%d type errors", len(te.Errors))
	}
	msg := err.Error()
	if len(msg) > 80 {
		msg = msg[:80]
	}
	return regexp.MustCompile("`[^`]*`").ReplaceAllString(msg, "`…`")
}
