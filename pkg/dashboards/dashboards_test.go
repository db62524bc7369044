package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const committedDir = "../../dashboards"

// rendered is every dashboard as the app ships it: file name -> JSON.
func rendered(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := All()
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, f := range files {
		b, err := Render(f.Dashboard)
		require.NoError(t, err)
		out[f.Name] = b
	}
	return out
}

func TestCommittedJSONIsGenerated(t *testing.T) {
	want := rendered(t)
	for name, b := range want {
		got, err := os.ReadFile(filepath.Join(committedDir, name))
		require.NoError(t, err, "dashboards/%s: run `go run ./cmd/firebreak-dashboards`", name)
		assert.Equal(t, string(b), string(got), "dashboards/%s differs from what pkg/dashboards makes: run `go run ./cmd/firebreak-dashboards`", name)
	}
	committed, err := filepath.Glob(filepath.Join(committedDir, "*.json"))
	require.NoError(t, err)
	for _, path := range committed {
		assert.Contains(t, want, filepath.Base(path), "dashboards/%s is not made by pkg/dashboards", filepath.Base(path))
	}
}

// The app ships every dashboard: plugin.json includes each file, and depends on the ClickHouse data source.
func TestPluginJSONIncludesTheDashboards(t *testing.T) {
	raw, err := os.ReadFile("../../src/plugin.json")
	require.NoError(t, err)
	var plugin struct {
		Includes []struct {
			Type, Name, Path string
		}
		Dependencies struct {
			Plugins []struct{ ID, Type string }
		}
	}
	require.NoError(t, json.Unmarshal(raw, &plugin))
	var included []string
	for _, inc := range plugin.Includes {
		if inc.Type == "dashboard" {
			included = append(included, inc.Path)
		}
	}
	var want []string
	for name := range rendered(t) {
		want = append(want, "dashboards/"+name)
	}
	assert.ElementsMatch(t, want, included)
	assert.Contains(t, plugin.Dependencies.Plugins, struct{ ID, Type string }{ClickHouseType, "datasource"})
}

func TestDashboardJSON(t *testing.T) {
	knownDS := map[string]string{ClickHouseUID: ClickHouseType, PrometheusUID: PrometheusType}
	routes := appRoutes(t)
	uids := map[string]string{}
	for name, raw := range rendered(t) {
		var d dashboardJSON
		require.NoError(t, json.Unmarshal(raw, &d), name)
		t.Run(name, func(t *testing.T) {
			require.NotEmpty(t, d.UID)
			assert.LessOrEqual(t, len(d.UID), 40, "Grafana's limit of a uid")
			if other, dup := uids[d.UID]; dup {
				t.Errorf("uid %s of %s is also %s's", d.UID, name, other)
			}
			uids[d.UID] = name
			// 39 is Grafana 11.0's; 42 the newest Grafana 12 writes (the app needs Grafana >= 12.3).
			assert.GreaterOrEqual(t, d.SchemaVersion, 39)
			assert.LessOrEqual(t, d.SchemaVersion, 42)

			checkDS := func(where string, ds *dataSourceJSON) {
				if ds == nil {
					return
				}
				typ, ok := knownDS[ds.UID]
				if assert.True(t, ok, "%s: data source uid %q is not one provisioning makes", where, ds.UID) {
					assert.Equal(t, typ, ds.Type, "%s: data source %s", where, ds.UID)
				}
			}
			var links []string
			for _, l := range d.Links {
				links = append(links, l.URL)
			}
			titles := map[string]bool{}
			for i, p := range d.Panels {
				where := fmt.Sprintf("panel %q", p.Title)
				assert.False(t, titles[p.Title], "%s: two panels with this title", where)
				titles[p.Title] = true
				require.NotNil(t, p.Datasource, where)
				checkDS(where, p.Datasource)
				require.NotEmpty(t, p.Targets, where)
				for _, tg := range p.Targets {
					checkDS(where, tg.Datasource)
				}
				assert.True(t, p.GridPos.W > 0 && p.GridPos.H > 0 && p.GridPos.X >= 0 && p.GridPos.X+p.GridPos.W <= 24,
					"%s: gridPos %+v is not within the 24 columns", where, p.GridPos)
				for _, q := range d.Panels[:i] {
					assert.False(t, overlap(p.GridPos, q.GridPos), "%s %+v overlaps panel %q %+v", where, p.GridPos, q.Title, q.GridPos)
				}
				for _, o := range p.FieldConfig.Overrides {
					for _, prop := range o.Properties {
						if prop.ID != "links" {
							continue
						}
						var ls []struct{ URL string }
						require.NoError(t, json.Unmarshal(prop.Value, &ls), where)
						for _, l := range ls {
							links = append(links, l.URL)
						}
					}
				}
			}
			for _, v := range d.Templating.List {
				checkDS(fmt.Sprintf("variable %q", v.Name), v.Datasource)
			}
			for _, a := range d.Annotations.List {
				where := fmt.Sprintf("annotation %q", a.Name)
				checkDS(where, &a.Datasource)
				if a.Target != nil {
					checkDS(where, a.Target.Datasource)
					for _, m := range hrefs.FindAllStringSubmatch(a.Target.RawSQL, -1) {
						links = append(links, m[1]+"<id>")
					}
				}
			}
			for _, l := range links {
				assert.True(t, resolves(l, routes), "link %q is not a route of the app (src/constants.ts: %v)", l, routes)
			}
		})
	}
}

// hrefs finds the links an annotation's SQL writes into its text: href="<url>' (the id is concatenated after).
var hrefs = regexp.MustCompile(`href="([^"']*)'`)

func overlap(a, b gridPosJSON) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

// appRoutes reads the app's routes from src/constants.ts (enum ROUTES).
func appRoutes(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../src/constants.ts")
	require.NoError(t, err)
	block := regexp.MustCompile(`(?s)export enum ROUTES \{(.*?)\}`).FindSubmatch(raw)
	require.NotNil(t, block, "src/constants.ts: no enum ROUTES")
	var routes []string
	for _, m := range regexp.MustCompile(`=\s*'([^']+)'`).FindAllSubmatch(block[1], -1) {
		routes = append(routes, string(m[1]))
	}
	require.NotEmpty(t, routes)
	return routes
}

// resolves says whether url is a page of the app: /a/<id>/<route>, or an incident: /a/<id>/incidents/<anything
// that ends the URL, an id filled in by Grafana>.
func resolves(url string, routes []string) bool {
	rest, ok := strings.CutPrefix(url, "/a/firebreak-incident-app/")
	if !ok {
		return false
	}
	if slices.Contains(routes, rest) {
		return true
	}
	id, ok := strings.CutPrefix(rest, "incidents/")
	return ok && slices.Contains(routes, "incidents") && id != "" && !strings.Contains(id, "/")
}

func TestResolves(t *testing.T) {
	routes := []string{"incidents", "declare"}
	for url, want := range map[string]bool{
		"/a/firebreak-incident-app/incidents":                              true,
		"/a/firebreak-incident-app/declare":                                true,
		"/a/firebreak-incident-app/incidents/${__data.fields.incident_id}": true,
		"/a/firebreak-incident-app/incidents/":                             false,
		"/a/firebreak-incident-app/incidents/x/timeline":                   false,
		"/a/firebreak-incident-app/nope":                                   false,
		"/a/other-app/incidents":                                           false,
		"https://example.com/a/firebreak-incident-app/incidents":           false,
	} {
		assert.Equal(t, want, resolves(url, routes), url)
	}
}

// The dashboards' SQL keeps to what ClickHouse 18.16 and current releases both run (the forms README's Dashboards
// section lists); the tests run it on 18.16, this catches what only a current release would take.
func TestSQLAvoidsFormsOneVersionLacks(t *testing.T) {
	forbidden := map[string]*regexp.Regexp{
		"toStartOfInterval (not in 18.16)":      regexp.MustCompile(`(?i)toStartOfInterval|\$__timeInterval`),
		"JSONExtract (not in 18.16)":            regexp.MustCompile(`(?i)JSONExtract`),
		"window functions (not in 18.16)":       regexp.MustCompile(`(?i)\bOVER\s*\(`),
		"WITH subqueries (not in 18.16)":        regexp.MustCompile(`(?i)\bWITH\s+\w+\s+AS\s*\(`),
		"IN over an array (not in 18.16)":       regexp.MustCompile(`(?i)\bIN\s*\[`),
		"ILIKE (not in 18.16)":                  regexp.MustCompile(`(?i)\bILIKE\b`),
		"Map, DateTime64, LowCardinality types": regexp.MustCompile(`\b(Map|DateTime64|LowCardinality)\(`),
		"server-side parameters (not in 18.16)": regexp.MustCompile(`(?:^|[^$])\{\w+:\w+\}`), // not Grafana's ${var:format}
		"a table, not a documented view":        regexp.MustCompile(`\}\.(events|incident_state|incident_state_by_time|alerts|ingest|incident_index|containment_outcomes|regulatory_state)\b`),
	}
	for name, raw := range rendered(t) {
		qs, err := Queries(raw)
		require.NoError(t, err)
		for _, q := range qs {
			if q.Datasource != ClickHouseUID {
				continue
			}
			for what, re := range forbidden {
				assert.False(t, re.MatchString(q.Text), "%s %s uses %s", name, q.Where, what)
			}
		}
	}
}
