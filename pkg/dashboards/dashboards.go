package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// The data sources the dashboards use, by the uids Grafana provisioning gives them (provisioning/datasources).
const (
	ClickHouseUID  = "firebreak-clickhouse"
	ClickHouseType = "grafana-clickhouse-datasource"
	PrometheusUID  = "firebreak-prometheus"
	PrometheusType = "prometheus"
)

// IncidentURL is the app's page of an incident, before its id.
const IncidentURL = "/a/firebreak-incident-app/incidents/"

// File is a dashboard and the name of its file under dashboards/.
type File struct {
	Name      string
	Dashboard dashboard.Dashboard
}

// All builds every dashboard the app ships.
func All() ([]File, error) {
	var out []File
	for _, d := range []struct {
		name  string
		build func() *dashboard.DashboardBuilder
	}{
		{"leadership.json", Leadership},
		{"responders.json", Responders},
		{"ai-system-supportbot.json", func() *dashboard.DashboardBuilder { return AISystemHealth("supportbot") }},
	} {
		built, err := d.build().Build()
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", d.name, err)
		}
		withDefaultPlacement(&built)
		out = append(out, File{Name: d.name, Dashboard: built})
	}
	return out, nil
}

// withDefaultPlacement clears the placement the SDK gives every link and annotation ("inControlsMenu", which tucks
// them into the dashboard's controls menu), so that Grafana shows them in the dashboard's top bar.
func withDefaultPlacement(d *dashboard.Dashboard) {
	for i := range d.Links {
		d.Links[i].Placement = nil
	}
	for i := range d.Annotations.List {
		d.Annotations.List[i].Placement = nil
	}
}

// Render is a dashboard's JSON as committed: indented, ending in a newline, with <, > and & as they are (the SDK's
// marshalling escapes them, which JSON does not need) so that the SQL reads as written.
func Render(d dashboard.Dashboard) ([]byte, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("dashboard %q: %w", deref(d.Title), err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return nil, fmt.Errorf("dashboard %q: %w", deref(d.Title), err)
	}
	buf.WriteByte('\n')
	return []byte(htmlUnescaper.Replace(buf.String())), nil
}

var htmlUnescaper = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func clickHouse() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr(ClickHouseType), Uid: cog.ToPtr(ClickHouseUID)}
}

func prometheus() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr(PrometheusType), Uid: cog.ToPtr(PrometheusUID)}
}

// format is the ClickHouse data source's result format.
type format int

const (
	timeSeriesFormat format = 0 // a time column; long results (a string column) become one series per value
	tableFormat      format = 1
)

// sqlQuery is a ClickHouse data source query in its raw SQL editor.
func sqlQuery(refID string, f format, sql string) cog.Builder[variants.Dataquery] {
	queryType := "table"
	if f == timeSeriesFormat {
		queryType = "timeSeries" // the data source's QueryType.TimeSeries
	}
	return variants.NewUnknownDataqueryBuilderFromObject(variants.UnknownDataquery{
		"refId":      refID,
		"datasource": clickHouse(),
		"editorType": "sql",
		"queryType":  queryType,
		"format":     int(f),
		"rawSql":     sql,
	})
}

// promQuery is a Prometheus range query.
func promQuery(refID, expr, legend string) cog.Builder[variants.Dataquery] {
	return variants.NewUnknownDataqueryBuilderFromObject(variants.UnknownDataquery{
		"refId":        refID,
		"datasource":   prometheus(),
		"expr":         expr,
		"legendFormat": legend,
		"range":        true,
	})
}

func at(x, y, w, h uint32) dashboard.GridPos { return dashboard.GridPos{X: x, Y: y, W: w, H: h} }

// incidentLink is the data link of a table column to the incident of its row (the row's incident_id), with room
// for the linked text.
func incidentLink() []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{{Id: "links", Value: []map[string]any{{
		"title": "Open the incident in Firebreak",
		"url":   IncidentURL + "${__data.fields.incident_id}",
	}}}, {Id: "custom.minWidth", Value: 260}} // the linked text (a title, a message) is what a reader scans
}

// columnHeaders are the headers the tables show for the columns their SQL answers: the SQL keeps names a query and
// a link can use (snake case), people read these.
var columnHeaders = map[string]string{
	"runs": "Runs", "success_rate": "Succeeded", "latency_p50_ms": "Latency p50", "latency_p95_ms": "Latency p95",
	"drill_runs": "Drill runs (dry)", "ai_system": "AI system", "incidents": "Incidents", "severity": "Severity",
	"mtta": "MTTA", "ack_target": "Acknowledge target", "ack_missed": "Acknowledge missed", "mttc": "MTTC",
	"contain_target": "Contain target", "contain_missed": "Contain missed", "mttr": "MTTR", "due_at": "Due",
	"state": "State", "title": "Title", "entry": "OWASP LLM entry", "harm_class": "EU harm class",
	"people_affected": "People affected", "cross_border": "Across borders", "status": "Status", "drill": "Drill",
	"category": "Category", "declared_at": "Declared", "age": "Age", "firing": "Firing", "alerts": "Alerts",
	"lead": "Lead", "acknowledge_due": "Acknowledge due", "seconds_left": "Time left", "at": "At", "kind": "Kind",
	"actor": "Actor", "message": "Message",
}

// headed gives a table's columns their headers (columnHeaders). incident_id keeps its name: the links read it.
func headed(b *table.PanelBuilder, columns ...string) *table.PanelBuilder {
	for _, c := range columns {
		b = b.OverrideByName(c, []dashboard.DynamicConfigValue{{Id: "displayName", Value: columnHeaders[c]}})
	}
	return b
}

// Variables shared by the ClickHouse dashboards.

// databaseVar names the Firebreak database (a constant: change it if the receiver writes to another one).
func databaseVar() *dashboard.ConstantVariableBuilder {
	return dashboard.NewConstantVariableBuilder("database").Label("Firebreak database").
		Value(dashboard.StringOrMap{String: cog.ToPtr("firebreak")})
}

// slaVars are the SLA targets in seconds, per severity (0: none), as constants: the app's settings are not
// reachable from a data source query. The defaults are the app's defaults.
func slaVars() []cog.Builder[dashboard.VariableModel] {
	var out []cog.Builder[dashboard.VariableModel]
	for _, v := range slaTargets {
		out = append(out, dashboard.NewConstantVariableBuilder(v.name).Label(v.label).
			Value(dashboard.StringOrMap{String: cog.ToPtr(v.value)}))
	}
	return out
}

var slaTargets = []struct{ name, label, value string }{
	{"ack_sev1", "SEV1 acknowledge target (s)", "900"},
	{"ack_sev2", "SEV2 acknowledge target (s)", "14400"},
	{"ack_sev3", "SEV3 acknowledge target (s)", "259200"},
	{"contain_sev1", "SEV1 contain target (s)", "14400"},
	{"contain_sev2", "SEV2 contain target (s)", "86400"},
	{"contain_sev3", "SEV3 contain target (s)", "0"},
}

// ackTarget and containTarget are the SLA targets of an incident's severity, in seconds, from slaVars.
const (
	ackTarget     = `toInt64(multiIf(severity = 'SEV1', ${ack_sev1}, severity = 'SEV2', ${ack_sev2}, ${ack_sev3}))`
	containTarget = `toInt64(multiIf(severity = 'SEV1', ${contain_sev1}, severity = 'SEV2', ${contain_sev2}, ${contain_sev3}))`
)

// aiSystemVar offers the AI systems with incidents, several at once or all.
func aiSystemVar() *dashboard.QueryVariableBuilder {
	return dashboard.NewQueryVariableBuilder("ai_system").Label("AI system").
		Datasource(clickHouse()).
		Query(dashboard.StringOrMap{String: cog.ToPtr(aiSystemsSQL)}).
		Refresh(dashboard.VariableRefreshOnDashboardLoad).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(true).IncludeAll(true).
		Current(allOption())
}

const aiSystemsSQL = `SELECT DISTINCT ai_system FROM ${database}.incidents ORDER BY ai_system`

// listVar is a custom variable offering fixed values, several at once or all.
func listVar(name, label string, values []string) *dashboard.CustomVariableBuilder {
	return labelledListVar(name, label, values, values)
}

// labelledListVar is listVar showing each value by its text (texts[i] for values[i]).
func labelledListVar(name, label string, texts, values []string) *dashboard.CustomVariableBuilder {
	options := []dashboard.VariableOption{allOption()}
	custom := make([]string, len(values))
	for i, v := range values {
		options = append(options, dashboard.VariableOption{Text: stringOption(texts[i]), Value: stringOption(v)})
		custom[i] = v
		if texts[i] != v {
			custom[i] = texts[i] + " : " + v
		}
	}
	return dashboard.NewCustomVariableBuilder(name).Label(label).
		Values(dashboard.StringOrMap{String: cog.ToPtr(strings.Join(custom, ","))}).
		Multi(true).IncludeAll(true).
		Options(options).
		Current(allOption())
}

// owaspLLMVar offers the entries of the OWASP Top 10 for LLM Applications 2025 an incident is classified with.
func owaspLLMVar() *dashboard.CustomVariableBuilder {
	codes := slices.Sorted(maps.Keys(incident.OWASPLLM2025))
	texts := make([]string, len(codes))
	for i, c := range codes {
		texts[i] = c + " " + incident.OWASPLLM2025[c]
	}
	return labelledListVar("owasp_llm", "OWASP LLM entry", texts, codes)
}

func stringOption(s string) dashboard.StringOrArrayOfString {
	return dashboard.StringOrArrayOfString{String: cog.ToPtr(s)}
}

func allOption() dashboard.VariableOption {
	return dashboard.VariableOption{Selected: cog.ToPtr(true), Text: stringOption("All"), Value: stringOption(allValue)}
}

var (
	severities = []string{"SEV1", "SEV2", "SEV3"}
	categories = []string{"hallucination", "bias", "prompt_injection", "drift", "unauthorized_use", "data_exposure",
		"oversight_failure", "other"}
)

// dimensionFilter is the condition of the AI system, category and severity variables on a view with those columns.
const dimensionFilter = `$__conditionalAll(ai_system IN (${ai_system:singlequote}), $ai_system)
	AND $__conditionalAll(category IN (${category:singlequote}), $category)
	AND $__conditionalAll(toString(severity) IN (${severity:singlequote}), $severity)`

// incidentFilter is the condition of every incident variable on the incidents view: the dimensions and the
// taxonomy (an incident with any of the OWASP LLM entries chosen; of one of the harms chosen).
const incidentFilter = dimensionFilter + `
	AND $__conditionalAll(hasAny(owasp_llm, [${owasp_llm:singlequote}]), $owasp_llm)
	AND $__conditionalAll(harm IN (${harm:singlequote}), $harm)`

// classifiedAs is the taxonomy variables' condition on a view without the taxonomy (regulatory_deadlines,
// containment_runs): its incidents classified so in the incidents view, which is only read when a variable is not
// All. The ids are compared as strings: a panel may show incident_id as one under the same name.
const classifiedAs = `$__conditionalAll(toString(incident_id) IN (SELECT toString(incident_id) FROM ${database}.incidents WHERE hasAny(owasp_llm, [${owasp_llm:singlequote}])), $owasp_llm)
	AND $__conditionalAll(toString(incident_id) IN (SELECT toString(incident_id) FROM ${database}.incidents WHERE harm IN (${harm:singlequote})), $harm)`

// inRange is the dashboard's time range on declared_at, half-open like the plugin's GET stats ($__timeFilter
// includes its end).
const inRange = `declared_at >= $__fromTime AND declared_at < $__toTime`

// openStatus is an incident still being worked on.
const openStatus = `status IN ('declared', 'acknowledged', 'contained')`

// withLegend shows a time series panel's legend below it and every series in its tooltip.
func withLegend(pb *timeseries.PanelBuilder) *timeseries.PanelBuilder {
	return pb.
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderNone))
}
