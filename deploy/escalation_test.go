package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

type ruleFile struct {
	Groups []struct {
		Rules []struct {
			Alert  string            `yaml:"alert"`
			Labels map[string]string `yaml:"labels"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// alertNames are the alerting rules of a rule file of rules/, with their labels.
func alertNames(t *testing.T, file string) map[string]map[string]string {
	t.Helper()
	var f ruleFile
	readYAML(t, filepath.Join(repoRoot, "rules", file), &f)
	out := map[string]map[string]string{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			out[r.Alert] = r.Labels
		}
	}
	if len(out) == 0 {
		t.Fatalf("rules/%s: no alerting rules", file)
	}
	return out
}

// routeOf asks Alertmanager's own amtool which receivers an alert with these labels goes to under config.
func routeOf(t *testing.T, config string, labels map[string]string) string {
	t.Helper()
	args := []string{"config", "routes", "test", "--config.file=" + config}
	for k, v := range labels {
		args = append(args, k+"="+v)
	}
	amtool := "/usr/bin/amtool"
	if _, err := os.Stat(amtool); err != nil {
		if amtool, err = exec.LookPath("amtool"); err != nil {
			t.Fatal("this test needs amtool (Debian: apt-get install prometheus-alertmanager)")
		}
	}
	var stderr strings.Builder
	cmd := exec.Command(amtool, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("amtool %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// Escalations reach the people of the incident's severity and never the Firebreak receiver (which would declare an
// incident about the incident, which would escalate in turn); the AI incident rule pack's alerts reach Firebreak.
// Both Alertmanager examples, the stack's and compose's, route alike (TestComposeMonitoringIsTheStacks holds them to
// the same tree); each is checked as it is.
func TestEscalationsRouteToPeopleNeverToFirebreak(t *testing.T) {
	escalations := alertNames(t, "escalation.rules.yml")
	incidents := alertNames(t, "ai-incidents.rules.yml")
	for _, config := range []string{"local/alertmanager.yml", "docker/alertmanager.yml"} {
		t.Run(config, func(t *testing.T) {
			path := filepath.Join(repoRoot, "deploy", config)
			if strings.HasPrefix(config, "local/") { // a template: filled as ./scripts/stack fills it
				tmpl, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				path = filepath.Join(t.TempDir(), "alertmanager.yml")
				filled := strings.NewReplacer("@@RECEIVER_PORT@@", "9095", "@@TOKEN_FILE@@", filepath.Join(t.TempDir(), "token")).Replace(string(tmpl))
				if err := os.WriteFile(path, []byte(filled), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			for name, labels := range escalations {
				if labels["firebreak"] != "escalation" {
					t.Errorf("rules/escalation.rules.yml %s: labels %v lack firebreak=\"escalation\", which routes it away from Firebreak", name, labels)
				}
				if _, ok := labels["severity"]; ok {
					t.Errorf("rules/escalation.rules.yml %s: sets severity, which would hide the incident's (SEV1..SEV3) that routes it", name)
				}
				for sev, want := range map[string]string{"SEV1": "escalation-sev1", "SEV2": "escalation-sev2", "SEV3": "escalation-sev3", "": "escalation-sev3"} {
					alert := map[string]string{"alertname": name, "incident_id": "0b7c", "category": "data_exposure", "ai_system": "supportbot"}
					for k, v := range labels {
						alert[k] = v
					}
					if sev != "" {
						alert["severity"] = sev
					}
					if got := routeOf(t, path, alert); got != want {
						t.Errorf("%s with severity %q goes to %q, want only %q", name, sev, got, want)
					}
				}
			}
			for name, labels := range incidents {
				alert := map[string]string{"alertname": name, "ai_system": "supportbot"}
				for k, v := range labels {
					alert[k] = v
				}
				if got := routeOf(t, path, alert); got != "firebreak" {
					t.Errorf("%s goes to %q, want firebreak", name, got)
				}
			}
			// Only the firebreak receiver posts to Firebreak's webhook.
			var cfg struct {
				Receivers []struct {
					Name     string `yaml:"name"`
					Webhooks []struct {
						URL string `yaml:"url"`
					} `yaml:"webhook_configs"`
				} `yaml:"receivers"`
			}
			readYAML(t, path, &cfg)
			for _, r := range cfg.Receivers {
				for _, w := range r.Webhooks {
					if strings.Contains(w.URL, "/api/v1/webhook") && r.Name != "firebreak" {
						t.Errorf("receiver %s posts to Firebreak's webhook %s", r.Name, w.URL)
					}
				}
			}
		})
	}
}

// The app's provisioned SLA targets are the built-in ones, which the receiver uses without --sla-file: compose's
// escalations follow the same clocks as the app shows.
func TestProvisionedSLAIsTheReceiversDefault(t *testing.T) {
	var app struct {
		Apps []struct {
			JSONData struct {
				SLA map[string]incident.SLASpec `yaml:"sla"`
			} `yaml:"jsonData"`
		} `yaml:"apps"`
	}
	readYAML(t, filepath.Join(repoRoot, "provisioning", "plugins", "app.yaml"), &app)
	if len(app.Apps) != 1 || len(app.Apps[0].JSONData.SLA) == 0 {
		t.Fatalf("provisioning/plugins/app.yaml: want one app with jsonData.sla, got %+v", app)
	}
	got, err := incident.SLATargetsFrom(app.Apps[0].JSONData.SLA, "jsonData.sla")
	if err != nil {
		t.Fatal(err)
	}
	want := incident.DefaultSLATargets()
	for _, sev := range []incident.Severity{incident.SEV1, incident.SEV2, incident.SEV3} {
		if got[sev] != want[sev] {
			t.Errorf("provisioning/plugins/app.yaml jsonData.sla.%s = %+v, the receiver's default is %+v: set the receiver's FIREBREAK_SLA_FILE to the same", sev, got[sev], want[sev])
		}
	}
}
