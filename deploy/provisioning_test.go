package deploy

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"gopkg.in/yaml.v3"

	"github.com/firebreak-dev/firebreak/pkg/grafanahost"
	"github.com/firebreak-dev/firebreak/pkg/plugin"
)

const pluginID = "firebreak-incident-app"

// The data sources the dashboards (dashboards/*.json) and the app's settings name by uid.
var wantDataSources = map[string]string{
	"firebreak-clickhouse": "grafana-clickhouse-datasource",
	"firebreak-prometheus": "prometheus",
}

type dataSource struct {
	Name           string            `yaml:"name"`
	UID            string            `yaml:"uid"`
	Type           string            `yaml:"type"`
	URL            string            `yaml:"url"`
	JSONData       map[string]any    `yaml:"jsonData"`
	SecureJSONData map[string]string `yaml:"secureJsonData"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func provisionedDataSources(t *testing.T) map[string]dataSource {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "provisioning", "datasources", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no data source provisioning files (provisioning/datasources/*.yaml): %v", err)
	}
	out := map[string]dataSource{}
	for _, f := range files {
		var doc struct {
			APIVersion  int          `yaml:"apiVersion"`
			DataSources []dataSource `yaml:"datasources"`
		}
		readYAML(t, f, &doc)
		if doc.APIVersion != 1 {
			t.Errorf("%s: apiVersion %d, want 1", f, doc.APIVersion)
		}
		for _, ds := range doc.DataSources {
			if ds.UID == "" {
				t.Errorf("%s: data source %q has no uid: dashboards cannot name it", f, ds.Name)
				continue
			}
			if _, dup := out[ds.UID]; dup {
				t.Errorf("%s: data source uid %s is provisioned twice", f, ds.UID)
			}
			out[ds.UID] = ds
		}
	}
	return out
}

func TestProvisionedDataSources(t *testing.T) {
	p := loadCompose(t, nil)
	sources := provisionedDataSources(t)
	for uid, typ := range wantDataSources {
		if got := sources[uid].Type; got != typ {
			t.Errorf("data source %s: type %q, want %q", uid, got, typ)
		}
	}
	ch := sources["firebreak-clickhouse"]
	checkServiceAddress(t, p, "data source firebreak-clickhouse: host and port",
		net.JoinHostPort(fmt.Sprint(ch.JSONData["host"]), fmt.Sprint(ch.JSONData["port"])))
	if ch.SecureJSONData["password"] == "" {
		t.Error("data source firebreak-clickhouse: no secureJsonData.password")
	}
	checkServiceURL(t, p, "data source firebreak-prometheus: url", sources["firebreak-prometheus"].URL)
	// The ClickHouse plugin's version is pinned (GF_PLUGINS_PREINSTALL_SYNC id@version).
	pre := environment(t, p, "grafana")["GF_PLUGINS_PREINSTALL_SYNC"]
	if id, version, _ := strings.Cut(pre, "@"); id != "grafana-clickhouse-datasource" || imagePinned("x:"+version) != nil {
		t.Errorf("grafana: GF_PLUGINS_PREINSTALL_SYNC=%q, want grafana-clickhouse-datasource@<version>", pre)
	}
}

// checkServiceURL fails when rawURL does not name a service of docker-compose.yml and a port it listens on.
func checkServiceURL(t *testing.T, p *types.Project, what, rawURL string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		t.Errorf("%s: %q is not a URL", what, rawURL)
		return
	}
	checkServiceAddress(t, p, what, u.Host)
}

func checkServiceAddress(t *testing.T, p *types.Project, what, address string) {
	t.Helper()
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		t.Errorf("%s: %q is not host:port", what, address)
		return
	}
	s, ok := p.Services[host]
	if !ok {
		t.Errorf("%s: %s is no service of docker-compose.yml", what, host)
		return
	}
	var ports []string
	for _, sp := range s.Ports {
		ports = append(ports, strconv.Itoa(int(sp.Target)))
	}
	for _, e := range s.Expose {
		ports = append(ports, e)
	}
	if !slices.Contains(ports, port) {
		t.Errorf("%s: service %s listens on %v, not %s", what, host, ports, port)
	}
}

// Grafana expands $VAR and ${VAR} in provisioning files to "" when its environment lacks them, silently.
var provisioningVar = regexp.MustCompile(`\$__env\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

func TestProvisioningVariablesAreSetInGrafana(t *testing.T) {
	env := environment(t, loadCompose(t, nil), "grafana")
	files, _ := filepath.Glob(filepath.Join(repoRoot, "provisioning", "*", "*.yaml"))
	if len(files) < 3 {
		t.Fatalf("provisioning files: %v, want data sources, dashboards and plugins", files)
	}
	for _, f := range files {
		var doc any
		readYAML(t, f, &doc) // the values only: comments may mention variables
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				for _, e := range v {
					walk(e)
				}
			case []any:
				for _, e := range v {
					walk(e)
				}
			case string:
				for _, m := range provisioningVar.FindAllStringSubmatch(v, -1) {
					name := m[1] + m[2] + m[3]
					if env[name] == "" {
						t.Errorf("%s uses $%s, which Grafana's environment in docker-compose.yml does not set", f, name)
					}
				}
			}
		}
		walk(doc)
	}
}

func TestDashboardsProvider(t *testing.T) {
	p := loadCompose(t, nil)
	var doc struct {
		Providers []struct {
			Name    string `yaml:"name"`
			Type    string `yaml:"type"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, filepath.Join(repoRoot, "provisioning", "dashboards", "firebreak.yaml"), &doc)
	if len(doc.Providers) != 1 || doc.Providers[0].Type != "file" {
		t.Fatalf("dashboard providers: %+v, want one of type file", doc.Providers)
	}
	host, ok := hostPath(serviceMounts(t, p, "grafana"), doc.Providers[0].Options.Path)
	if !ok {
		t.Fatalf("the dashboards provider reads %s, which the grafana service does not mount", doc.Providers[0].Options.Path)
	}
	if st, err := os.Stat(host); err != nil || !st.IsDir() {
		t.Fatalf("the dashboards provider reads %s (%s on the host): not a directory: %v", doc.Providers[0].Options.Path, host, err)
	}
}

// The app's provisioned settings, with the environment docker-compose.yml gives Grafana, pass the plugin's own
// loader, and every address in them is a service of the compose file.
func TestProvisionedAppSettingsLoad(t *testing.T) {
	p := loadCompose(t, nil)
	env := environment(t, p, "grafana")
	prov, err := grafanahost.LoadProvisioning(filepath.Join(repoRoot, "provisioning", "plugins", "app.yaml"), pluginID,
		func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	settings, err := plugin.LoadSettings(backend.AppInstanceSettings{JSONData: prov.JSONData, DecryptedSecureJSONData: prov.SecureJSONData})
	if err != nil {
		t.Fatalf("the plugin refuses its provisioned settings: %v", err)
	}
	checkServiceAddress(t, p, "jsonData.clickhouse.address", settings.ClickHouse.Address)
	checkServiceURL(t, p, "jsonData.receiver.url", settings.Receiver.URL)
	checkServiceURL(t, p, "jsonData.prometheus.url", settings.PrometheusURL)
	if settings.SigningKey == nil {
		t.Error("jsonData.signing.publicKey is empty: the app would not check the receiver's signatures")
	}
	if got, want := settings.Receiver.APIToken, environment(t, p, "receiver")["FIREBREAK_API_TOKEN"]; got != want {
		t.Errorf("secureJsonData.receiverApiToken is %q, the receiver expects %q", got, want)
	}
	if got, want := settings.ClickHouse.Password, environment(t, p, "clickhouse")["CLICKHOUSE_PASSWORD"]; got != want {
		t.Errorf("secureJsonData.clickhousePassword is %q, ClickHouse's is %q", got, want)
	}
	var catalog map[string][]struct {
		ID        string `json:"id"`
		URL       string `json:"url"`
		DryRunURL string `json:"dryRunUrl"`
		StatusURL string `json:"statusUrl"`
	}
	var jd struct {
		Prometheus struct {
			DatasourceUID string `json:"datasourceUid"`
		} `json:"prometheus"`
		Containment json.RawMessage `json:"containment"`
	}
	if err := json.Unmarshal(prov.JSONData, &jd); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(jd.Containment, &catalog); err != nil {
		t.Fatal(err)
	}
	if uid := jd.Prometheus.DatasourceUID; provisionedDataSources(t)[uid].Type != "prometheus" {
		t.Errorf("jsonData.prometheus.datasourceUid %q is no provisioned Prometheus data source", uid)
	}
	for system, actions := range catalog {
		for _, a := range actions {
			for _, u := range []string{a.URL, a.DryRunURL, a.StatusURL} {
				checkServiceURL(t, p, "containment."+system+"."+a.ID, u)
			}
		}
		if demo := environment(t, p, "demo")["DEMO_CONTAINMENT_SECRET"]; len(actions) > 0 &&
			prov.SecureJSONData["containment."+system+"."+actions[0].ID+".secret"] != demo {
			t.Errorf("containment.%s: the app signs with another secret than the demo checks", system)
		}
	}
}

// One `docker compose up` gives ./scripts/stack's demo: the same containment catalog and secrets, at the demo's
// compose address.
func TestComposeCatalogIsTheStacks(t *testing.T) {
	env := environment(t, loadCompose(t, nil), "grafana")
	getenv := func(k string) string { return env[k] }
	compose, err := grafanahost.LoadProvisioning(filepath.Join(repoRoot, "provisioning", "plugins", "app.yaml"), pluginID, getenv)
	if err != nil {
		t.Fatal(err)
	}
	stackTemplate, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "local", "firebreak-app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	stackFile := filepath.Join(t.TempDir(), "firebreak-app.yaml")
	text := strings.ReplaceAll(string(stackTemplate), "http://127.0.0.1:@@DEMO_PORT@@", env["SUPPORTBOT_URL"])
	text = strings.ReplaceAll(text, "${DEMO_CONTAINMENT_SECRET}", "${SUPPORTBOT_CONTAINMENT_SECRET}")
	text = regexp.MustCompile(`@@[A-Z_]+@@`).ReplaceAllString(text, "0") // the stack's other values, compared elsewhere
	if err := os.WriteFile(stackFile, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	stack, err := grafanahost.LoadProvisioning(stackFile, pluginID, getenv)
	if err != nil {
		t.Fatal(err)
	}
	containment := func(p *grafanahost.Provisioned) any {
		var jd struct {
			Containment any `json:"containment"`
		}
		if err := json.Unmarshal(p.JSONData, &jd); err != nil {
			t.Fatal(err)
		}
		return jd.Containment
	}
	if a, b := containment(compose), containment(stack); !reflect.DeepEqual(a, b) {
		t.Errorf("the containment catalogs differ:\ncompose (provisioning/plugins/app.yaml): %v\nstack (deploy/local/firebreak-app.yaml): %v", a, b)
	}
	keys := func(m map[string]string) []string {
		var out []string
		for k := range m {
			if strings.HasPrefix(k, "containment.") {
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return out
	}
	if a, b := keys(compose.SecureJSONData), keys(stack.SecureJSONData); !reflect.DeepEqual(a, b) {
		t.Errorf("containment secrets: compose has %v, the stack %v", a, b)
	}
}

// configCopy writes the config file a service reads at containerPath, with the container paths in it replaced by
// where they are on the host, so that the tools check it here.
func configCopy(t *testing.T, mounts []mount, containerPath string) string {
	t.Helper()
	host, ok := hostPath(mounts, containerPath)
	if !ok {
		t.Fatalf("%s is not mounted", containerPath)
	}
	data, err := os.ReadFile(host)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i].Container) > len(mounts[j].Container) })
	text := string(data)
	for _, m := range mounts {
		text = strings.ReplaceAll(text, m.Container, m.Host)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(containerPath))
	if err := os.WriteFile(out, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

func tool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: scripts/install-deps installs it (Debian package %s)", name, debianPackage)
	}
	return path
}

// flagValue is the value of --name=value in a service's command.
func flagValue(t *testing.T, command []string, name string) string {
	t.Helper()
	for _, arg := range command {
		if v, ok := strings.CutPrefix(arg, "--"+name+"="); ok {
			return v
		}
	}
	t.Fatalf("command %q has no --%s", command, name)
	return ""
}

func TestAlertmanagerConfig(t *testing.T) {
	p := loadCompose(t, nil)
	am := p.Services["alertmanager"]
	file := configCopy(t, serviceMounts(t, p, "alertmanager"), flagValue(t, am.Command, "config.file"))
	out, err := exec.Command(tool(t, "amtool", "prometheus-alertmanager"), "check-config", file).CombinedOutput()
	if err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
	var cfg struct {
		Receivers []struct {
			WebhookConfigs []struct {
				URL        string `yaml:"url"`
				HTTPConfig struct {
					Authorization struct {
						CredentialsFile string `yaml:"credentials_file"`
					} `yaml:"authorization"`
				} `yaml:"http_config"`
			} `yaml:"webhook_configs"`
		} `yaml:"receivers"`
	}
	readYAML(t, file, &cfg)
	for _, r := range cfg.Receivers {
		for _, w := range r.WebhookConfigs {
			checkServiceURL(t, p, "alertmanager webhook", w.URL)
			token, err := os.ReadFile(w.HTTPConfig.Authorization.CredentialsFile)
			if err != nil {
				t.Fatalf("alertmanager webhook %s: credentials_file: %v", w.URL, err)
			}
			if got, want := string(token), environment(t, p, "receiver")["FIREBREAK_TOKEN"]; got != want {
				t.Errorf("alertmanager sends the token %q, the receiver expects %q", got, want)
			}
		}
	}
}

func TestPrometheusConfig(t *testing.T) {
	p := loadCompose(t, nil)
	prom := p.Services["prometheus"]
	file := configCopy(t, serviceMounts(t, p, "prometheus"), flagValue(t, prom.Command, "config.file"))
	// check config also loads and checks each rule file, from its path on the host.
	out, err := exec.Command(tool(t, "promtool", "prometheus"), "check", "config", file).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "rules found") {
		t.Errorf("promtool found no rules:\n%s", out)
	}
	var cfg struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
		Alerting struct {
			Alertmanagers []struct {
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
	}
	readYAML(t, file, &cfg)
	scraped := map[string]bool{}
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, target := range st.Targets {
				checkServiceAddress(t, p, "scrape job "+sc.JobName, target)
				scraped[strings.Split(target, ":")[0]] = true
			}
		}
	}
	if !scraped["demo"] || !scraped["receiver"] {
		t.Errorf("Prometheus scrapes %v, want the demo and the receiver", scraped)
	}
	for _, am := range cfg.Alerting.Alertmanagers {
		for _, st := range am.StaticConfigs {
			for _, target := range st.Targets {
				checkServiceAddress(t, p, "alerting target", target)
			}
		}
	}
}

// Prometheus and Alertmanager of docker-compose.yml are ./scripts/stack's (deploy/local/), at the compose services'
// addresses: the same intervals, rules, routing and grouping, so a fault alerts and groups alike.
func TestComposeMonitoringIsTheStacks(t *testing.T) {
	stackAddresses := strings.NewReplacer(
		"127.0.0.1:@@DEMO_PORT@@", "demo:9100",
		"127.0.0.1:@@RECEIVER_PORT@@", "receiver:9095",
		"127.0.0.1:@@ALERTMANAGER_PORT@@", "alertmanager:9093",
		"@@RULES@@", "/etc/prometheus/rules/ai-incidents.rules.yml",
		"@@ESCALATION_RULES@@", "/etc/prometheus/rules/escalation.rules.yml",
		"@@TOKEN_FILE@@", "/etc/alertmanager/firebreak-token",
	)
	for _, file := range []string{"prometheus.yml", "alertmanager.yml"} {
		t.Run(file, func(t *testing.T) {
			tmpl, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "local", file))
			if err != nil {
				t.Fatal(err)
			}
			var stack, compose any
			if err := yaml.Unmarshal([]byte(stackAddresses.Replace(string(tmpl))), &stack); err != nil {
				t.Fatalf("deploy/local/%s: %v", file, err)
			}
			readYAML(t, filepath.Join(repoRoot, "deploy", "docker", file), &compose)
			if !reflect.DeepEqual(stack, compose) {
				t.Errorf("deploy/docker/%s is not deploy/local/%s at the compose addresses:\ncompose: %v\nstack:   %v", file, file, compose, stack)
			}
		})
	}
}
