package deploy

import (
	"context"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/receiver"
)

// repoRoot is where docker-compose.yml is; the tests run in deploy/.
const repoRoot = ".."

// builtPaths are the mounted host paths that the build makes rather than the repository holds.
var builtPaths = map[string]string{
	"dist": "npm run build && go tool mage -v",
}

// loadCompose loads docker-compose.yml as `docker compose` does, with env as the whole environment (not the test's
// own: the result must not depend on who runs it) and no .env file.
func loadCompose(t *testing.T, env map[string]string) *types.Project {
	t.Helper()
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(repoRoot, "docker-compose.yml")},
		cli.WithWorkingDirectory(repoRoot), cli.WithName("firebreak"), cli.WithEnv(list), cli.WithResolvedPaths(true))
	if err != nil {
		t.Fatalf("docker-compose.yml: options: %v", err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load with environment %v: %v", env, err)
	}
	return p
}

func environment(t *testing.T, p *types.Project, service string) map[string]string {
	t.Helper()
	s, ok := p.Services[service]
	if !ok {
		t.Fatalf("docker-compose.yml has no service %s", service)
	}
	out := map[string]string{}
	for k, v := range s.Environment {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

func TestComposeLoads(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want map[string]map[string]string // service -> environment variable -> value ("image" for the image)
	}{
		{"empty environment", nil, map[string]map[string]string{
			"grafana": {"image": "grafana/grafana-enterprise:13.1.2", "FIREBREAK_API_TOKEN": "firebreak-dev-api-token",
				"SUPPORTBOT_URL": "http://demo:9100", "GF_PLUGINS_PREINSTALL_SYNC": "grafana-clickhouse-datasource@4.20.0"},
			"receiver": {"FIREBREAK_TOKEN": "firebreak-dev-webhook-token", "FIREBREAK_API_TOKEN": "firebreak-dev-api-token",
				"FIREBREAK_CLICKHOUSE_DSN": "clickhouse://firebreak:firebreak@clickhouse:9000/firebreak"},
			"demo":       {"DEMO_CONTAINMENT_SECRET": "firebreak-dev-containment-secret"},
			"clickhouse": {"image": "clickhouse/clickhouse-server:26.8", "CLICKHOUSE_PASSWORD": "firebreak"},
		}},
		{"overrides", map[string]string{"GRAFANA_VERSION": "13.2.0", "CLICKHOUSE_PASSWORD": "s3cret", "FIREBREAK_API_TOKEN": "api",
			"FIREBREAK_TOKEN": "hook", "SUPPORTBOT_CONTAINMENT_SECRET": "a-longer-containment-secret"}, map[string]map[string]string{
			"grafana":    {"image": "grafana/grafana-enterprise:13.2.0", "FIREBREAK_API_TOKEN": "api", "CLICKHOUSE_PASSWORD": "s3cret"},
			"receiver":   {"FIREBREAK_TOKEN": "hook", "FIREBREAK_API_TOKEN": "api", "FIREBREAK_CLICKHOUSE_DSN": "clickhouse://firebreak:s3cret@clickhouse:9000/firebreak"},
			"demo":       {"DEMO_CONTAINMENT_SECRET": "a-longer-containment-secret"},
			"clickhouse": {"CLICKHOUSE_PASSWORD": "s3cret"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := loadCompose(t, tc.env)
			for service, want := range tc.want {
				env := environment(t, p, service)
				env["image"] = p.Services[service].Image
				for k, v := range want {
					if env[k] != v {
						t.Errorf("%s: %s = %q, want %q", service, k, env[k], v)
					}
				}
			}
			// Alertmanager reads the receiver's webhook token from a file that compose writes.
			if got, want := p.Configs["firebreak-webhook-token"].Content, environment(t, p, "receiver")["FIREBREAK_TOKEN"]; got != want {
				t.Errorf("Alertmanager's token file holds %q, the receiver expects %q", got, want)
			}
		})
	}
}

func TestComposeHasTheWholeStack(t *testing.T) {
	p := loadCompose(t, nil)
	var names []string
	for name := range p.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	if got, want := strings.Join(names, " "), "alertmanager clickhouse demo grafana prometheus receiver"; got != want {
		t.Errorf("services: %s, want %s (the components of ./scripts/stack, with Grafana itself)", got, want)
	}
}

// serviceMounts lists where a service's bind mounts and configs are on the host: configs (their content) are
// written to files in a temporary directory.
func serviceMounts(t *testing.T, p *types.Project, service string) []mount {
	t.Helper()
	var out []mount
	for _, v := range p.Services[service].Volumes {
		if v.Type == types.VolumeTypeBind {
			out = append(out, mount{Host: v.Source, Container: v.Target})
		}
	}
	for _, c := range p.Services[service].Configs {
		cfg, ok := p.Configs[c.Source]
		if !ok {
			t.Fatalf("%s uses config %s, which docker-compose.yml does not define", service, c.Source)
		}
		file := filepath.Join(t.TempDir(), c.Source)
		data := []byte(cfg.Content)
		if cfg.File != "" {
			var err error
			if data, err = os.ReadFile(cfg.File); err != nil {
				t.Fatalf("config %s: %v", c.Source, err)
			}
		}
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		target := c.Target
		if target == "" {
			target = "/" + c.Source
		}
		out = append(out, mount{Host: file, Container: target})
	}
	return out
}

// The receiver's settings in compose pass the receiver's own loader, its key file included; the key it signs with
// is the one the app verifies with.
func TestComposeReceiverSettingsLoad(t *testing.T) {
	p := loadCompose(t, nil)
	env := environment(t, p, "receiver")
	mounts := serviceMounts(t, p, "receiver")
	for _, name := range []string{"FIREBREAK_SIGNING_KEY_FILE"} {
		host, ok := hostPath(mounts, env[name])
		if !ok {
			t.Fatalf("receiver: %s=%s is no file the service mounts", name, env[name])
		}
		env[name] = host
	}
	cfg, err := receiver.ParseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("the receiver refuses its compose settings: %v", err)
	}
	signer := cfg.Signer()
	if signer == nil {
		t.Fatal("the receiver of docker-compose.yml does not sign chain heads, as ./scripts/stack's does")
	}
	public, err := incident.ParsePublicKey(environment(t, p, "grafana")["FIREBREAK_SIGNING_PUBLIC_KEY"])
	if err != nil {
		t.Fatalf("grafana: FIREBREAK_SIGNING_PUBLIC_KEY: %v", err)
	}
	if !public.Equal(signer.PublicKey()) {
		t.Errorf("FIREBREAK_SIGNING_PUBLIC_KEY's default is %s, not the public half of the receiver's key",
			base64.StdEncoding.EncodeToString(public))
	}
}

func TestComposeMountedPathsExist(t *testing.T) {
	p := loadCompose(t, nil)
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range p.Services {
		var paths []string
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind {
				paths = append(paths, v.Source)
			}
		}
		if s.Build != nil {
			paths = append(paths, s.Build.Context, filepath.Join(s.Build.Context, s.Build.Dockerfile))
		}
		for _, path := range paths {
			rel, err := filepath.Rel(root, path)
			if err != nil || strings.HasPrefix(rel, "..") {
				t.Errorf("%s mounts %s, outside the repository", name, path)
				continue
			}
			if how, built := builtPaths[rel]; built {
				t.Logf("%s mounts %s, made by %s", name, rel, how)
				continue
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s mounts %s: %v", name, rel, err)
			}
		}
	}
}

func TestComposeImagesArePinned(t *testing.T) {
	for name, s := range loadCompose(t, nil).Services {
		if s.Build != nil {
			continue // built from this repository (deploy/docker/*.Dockerfile)
		}
		if err := imagePinned(s.Image); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestComposePortsDoNotClash(t *testing.T) {
	for _, env := range []map[string]string{nil, {"FIREBREAK_PUBLISH_ADDRESS": "0.0.0.0"}} {
		ports, err := publishedPorts(loadCompose(t, env).Services)
		if err != nil {
			t.Fatal(err)
		}
		if len(ports) == 0 {
			t.Fatal("no published ports: the stack is unreachable from the host")
		}
		for _, clash := range portClashes(ports) {
			t.Errorf("environment %v: %s", env, clash)
		}
	}
}

func TestComposePublishesOnLoopbackByDefault(t *testing.T) {
	ports, err := publishedPorts(loadCompose(t, nil).Services)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ports {
		if p.HostIP != "127.0.0.1" {
			t.Errorf("%s publishes port %d on %q: with development secrets, only loopback by default", p.Service, p.Port, p.HostIP)
		}
	}
}

func TestComposeVariablesHaveOneDefault(t *testing.T) {
	opts, err := cli.NewProjectOptions([]string{filepath.Join(repoRoot, "docker-compose.yml")},
		cli.WithWorkingDirectory(repoRoot), cli.WithName("firebreak"), cli.WithInterpolation(false))
	if err != nil {
		t.Fatal(err)
	}
	model, err := opts.LoadModel(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	uses := variableUses(model)
	for _, secret := range []string{"CLICKHOUSE_PASSWORD", "FIREBREAK_TOKEN", "FIREBREAK_API_TOKEN",
		"SUPPORTBOT_CONTAINMENT_SECRET", "GRAFANA_ADMIN_PASSWORD", "FIREBREAK_SIGNING_KEY_PKCS8", "FIREBREAK_SIGNING_PUBLIC_KEY"} {
		if len(uses[secret]) == 0 {
			t.Errorf("${%s} is not used: the secret cannot be overridden", secret)
		}
	}
	for _, problem := range defaultProblems(uses) {
		t.Error(problem)
	}
}

func TestComposeHealthChecksForDependents(t *testing.T) {
	p := loadCompose(t, nil)
	for name, s := range p.Services {
		for dep, d := range s.DependsOn {
			if d.Condition != types.ServiceConditionHealthy {
				continue
			}
			hc := p.Services[dep].HealthCheck
			if hc == nil || hc.Disable || len(hc.Test) == 0 || hc.Test[0] == "NONE" {
				t.Errorf("%s waits for %s to be healthy, and %s has no health check", name, dep, dep)
			}
		}
	}
	// Every service has one, so `docker compose ps` says which part of the demo is not up.
	for name, s := range p.Services {
		if s.HealthCheck == nil || len(s.HealthCheck.Test) == 0 {
			t.Errorf("%s has no health check", name)
		}
	}
}
