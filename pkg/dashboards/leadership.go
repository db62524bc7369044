package dashboards

import (
	"maps"
	"slices"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// The leadership dashboard's SQL. Figures over the time range count the incidents declared in it and leave drills
// out, with the definitions of the plugin's GET stats (MTTA: declared -> first acknowledged; MTTC: -> contained,
// else resolved, else closed; MTTR: -> resolved; means per current severity over the incidents that got there);
// what is due or open is over all incidents, at now().
const (
	openBySeveritySQL = `SELECT
	countIf(severity = 'SEV1') AS SEV1,
	countIf(severity = 'SEV2') AS SEV2,
	countIf(severity = 'SEV3') AS SEV3
FROM ${database}.incidents
WHERE drill = 0 AND ` + openStatus + `
	AND ` + incidentFilter

	slaBreachesSQL = `SELECT countIf(
		(ack_target > 0 AND isNull(acknowledged_at) AND toInt64(declared_at) + ack_target < toInt64(now()))
		OR (contain_target > 0 AND isNull(coalesce(contained_at, resolved_at, closed_at))
			AND toInt64(declared_at) + contain_target < toInt64(now()))) AS open_sla_breaches
FROM (
	SELECT declared_at, acknowledged_at, contained_at, resolved_at, closed_at,
		` + ackTarget + ` AS ack_target,
		` + containTarget + ` AS contain_target
	FROM ${database}.incidents
	WHERE drill = 0 AND ` + openStatus + `
		AND ` + incidentFilter + `)`

	// Regulatory deadlines come from the regulatory_deadlines view: its strings are only there while a deadline
	// is pending, so that a scan of every incident (18.16 reads a view whole) stays cheap.
	regulatorySQL = `SELECT
	countIf(toInt64(assumeNotNull(regulatory_due_at)) < toInt64(now())) AS overdue,
	countIf(toInt64(assumeNotNull(regulatory_due_at)) >= toInt64(now())
		AND toInt64(assumeNotNull(regulatory_due_at)) <= toInt64(now()) + 259200) AS due_in_72h
FROM ${database}.regulatory_deadlines
WHERE drill = 0 AND isNotNull(regulatory_due_at)
	AND ` + dimensionFilter + `
	AND ` + classifiedAs

	overdueActionItemsSQL = `SELECT sum(arrayCount(d -> toInt64(d) < toInt64(now()), action_items_due)) AS overdue_action_items
FROM ${database}.incidents
WHERE drill = 0
	AND ` + incidentFilter

	drillsSQL = `SELECT count() AS drills
FROM ${database}.incidents
WHERE drill = 1 AND ` + inRange + `
	AND ` + incidentFilter

	byStatusSQL = `SELECT
	countIf(status = 'declared') AS declared,
	countIf(status = 'acknowledged') AS acknowledged,
	countIf(status = 'contained') AS contained,
	countIf(status = 'resolved') AS resolved,
	countIf(status = 'closed') AS closed
FROM ${database}.incidents
WHERE drill = 0 AND ` + inRange + `
	AND ` + incidentFilter

	ackSeconds     = `toInt64(assumeNotNull(acknowledged_at)) - toInt64(declared_at)`
	containedAt    = `coalesce(contained_at, resolved_at, closed_at)`
	containSeconds = `toInt64(assumeNotNull(` + containedAt + `)) - toInt64(declared_at)`
	resolveSeconds = `toInt64(assumeNotNull(resolved_at)) - toInt64(declared_at)`

	// ack_missed / contain_missed: incidents of the range that reached the step later than its target, or have
	// not reached it and are past it now.
	mttxBySeveritySQL = `SELECT toString(severity) AS severity, count() AS incidents,
	avgIf(` + ackSeconds + `, isNotNull(acknowledged_at)) AS mtta,
	any(` + ackTarget + `) AS ack_target,
	countIf(` + ackTarget + ` > 0 AND if(isNull(acknowledged_at), toInt64(now()) - toInt64(declared_at), ` + ackSeconds + `) > ` + ackTarget + `) AS ack_missed,
	avgIf(` + containSeconds + `, isNotNull(` + containedAt + `)) AS mttc,
	any(` + containTarget + `) AS contain_target,
	countIf(` + containTarget + ` > 0 AND if(isNull(` + containedAt + `), toInt64(now()) - toInt64(declared_at), ` + containSeconds + `) > ` + containTarget + `) AS contain_missed,
	avgIf(` + resolveSeconds + `, isNotNull(resolved_at)) AS mttr
FROM ${database}.incidents
WHERE drill = 0 AND ` + inRange + `
	AND ` + incidentFilter + `
GROUP BY severity
ORDER BY severity`

	// Buckets of $__interval_s seconds, at least a day (intDiv on Unix seconds: toStartOfInterval, which
	// $__timeInterval expands to, is not in ClickHouse 18.16).
	mttxTrendSQL = `SELECT toDateTime(intDiv(toUInt32(declared_at), greatest($__interval_s, 86400)) * greatest($__interval_s, 86400)) AS time,
	avgIf(` + ackSeconds + `, isNotNull(acknowledged_at)) AS MTTA,
	avgIf(` + containSeconds + `, isNotNull(` + containedAt + `)) AS MTTC,
	avgIf(` + resolveSeconds + `, isNotNull(resolved_at)) AS MTTR
FROM ${database}.incidents
WHERE drill = 0 AND ` + inRange + `
	AND ` + incidentFilter + `
GROUP BY time
ORDER BY time`

	topAISystemsSQL = `SELECT ai_system, count() AS incidents,
	countIf(severity = 'SEV1') AS SEV1, countIf(severity = 'SEV2') AS SEV2, countIf(severity = 'SEV3') AS SEV3
FROM ${database}.incidents
WHERE drill = 0 AND ` + inRange + `
	AND ` + incidentFilter + `
GROUP BY ai_system
ORDER BY incidents DESC, ai_system
LIMIT 10`

	regulatoryDeadlinesSQL = `SELECT assumeNotNull(regulatory_due_at) AS due_at,
	if(toInt64(due_at) < toInt64(now()), 'overdue', 'due within 72 h') AS state,
	toString(severity) AS severity, title, ai_system, toString(incident_id) AS incident_id
FROM ${database}.regulatory_deadlines
WHERE drill = 0 AND isNotNull(regulatory_due_at)
	AND toInt64(assumeNotNull(regulatory_due_at)) <= toInt64(now()) + 259200
	AND ` + dimensionFilter + `
	AND ` + classifiedAs + `
ORDER BY due_at, incident_id
LIMIT 200`

	// Containment outcomes in the range; drills' (dry runs) counted apart.
	containmentSQL = `SELECT countIf(drill = 0) AS runs,
	countIf(drill = 0 AND succeeded = 1) / countIf(drill = 0) AS success_rate,
	quantileIf(0.5)(latency_ms, drill = 0) AS latency_p50_ms,
	quantileIf(0.95)(latency_ms, drill = 0) AS latency_p95_ms,
	countIf(drill = 1) AS drill_runs
FROM ${database}.containment_runs
WHERE ` + `at >= $__fromTime AND at < $__toTime` + `
	AND $__conditionalAll(ai_system IN (${ai_system:singlequote}), $ai_system)
	AND ` + classifiedAs

	// people_affected sums the counts known (NULL when none is).
	byHarmSQL = `SELECT if(harm = '', 'not classified', harm) AS harm_class, count() AS incidents,
	sum(people_affected) AS people_affected,
	countIf(deployment_breadth = 'cross_border') AS cross_border
FROM ${database}.incidents
WHERE drill = 0 AND ` + inRange + `
	AND ` + incidentFilter + `
GROUP BY harm_class
ORDER BY incidents DESC, harm_class`
)

// Leadership is the "AI incidents: leadership" dashboard.
func Leadership() *dashboard.DashboardBuilder {
	b := dashboard.NewDashboardBuilder("AI incidents: leadership").
		Uid("firebreak-leadership").
		Description("Severity, pace against the SLA targets, deadlines and containment of AI incidents. Drills are counted apart.").
		Tags([]string{"firebreak", "ai-incidents"}).
		Time("now-30d", "now").
		Refresh("5m").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Link(appLink()).
		WithVariable(databaseVar()).
		WithVariable(aiSystemVar()).
		WithVariable(listVar("category", "Category", categories)).
		WithVariable(listVar("severity", "Severity", severities)).
		WithVariable(owaspLLMVar()).
		WithVariable(listVar("harm", "EU harm", incident.Harms)).
		WithVariable(dashboard.NewCustomVariableBuilder("drills").Label("Include drills").
			Values(dashboard.StringOrMap{String: cog.ToPtr("no : 0,yes : 1")}).
			Options([]dashboard.VariableOption{
				{Selected: cog.ToPtr(true), Text: stringOption("no"), Value: stringOption("0")},
				{Text: stringOption("yes"), Value: stringOption("1")},
			}).
			Current(dashboard.VariableOption{Selected: cog.ToPtr(true), Text: stringOption("no"), Value: stringOption("0")}))
	for _, v := range slaVars() {
		b = b.WithVariable(v)
	}
	return b.
		WithPanel(statPanel("Open incidents by severity", openBySeveritySQL, "Open (declared, acknowledged or contained) incidents, any declaration time. Drills left out.", at(0, 0, 8, 4))).
		WithPanel(singleStatPanel("Open SLA breaches", slaBreachesSQL, "Open incidents past their acknowledge or contain target (the SLA variables), not yet there. Drills left out.", at(8, 0, 4, 4))).
		WithPanel(statPanel("Regulatory reports", regulatorySQL, "Unreported regulatory deadlines: overdue, and due within 72 hours. Drills left out.", at(12, 0, 4, 4)).
			OverrideByName("due_in_72h", []dashboard.DynamicConfigValue{{Id: "displayName", Value: "due in 72 h"}})).
		WithPanel(singleStatPanel("Overdue review action items", overdueActionItemsSQL, "Open action items of reviews past their due date. Drills left out.", at(16, 0, 4, 4))).
		WithPanel(singleStatPanel("Drills in range", drillsSQL, "Tabletop exercises declared in the time range: counted here, never in the other figures.", at(20, 0, 4, 4))).
		WithPanel(perDayPanel("Incidents declared per day by severity", perDaySQL("toString(severity)"), at(0, 4, 12, 8))).
		WithPanel(perDayPanel("Incidents declared per day by category", perDaySQL("category"), at(12, 4, 12, 8))).
		WithPanel(statPanel("Declared in range by status", byStatusSQL, "Incidents declared in the time range, by their status now. Drills left out.", at(0, 12, 12, 4))).
		WithPanel(headed(table.NewPanelBuilder().Title("Containment actions").
			Description("Containment outcomes in the time range: runs, share that succeeded, call latency; the dry runs of drills apart.").
			Datasource(clickHouse()).WithTarget(sqlQuery("A", tableFormat, containmentSQL)).
			GridPos(at(12, 12, 12, 4)).
			OverrideByName("success_rate", []dashboard.DynamicConfigValue{{Id: "unit", Value: "percentunit"}}).
			OverrideByName("latency_p50_ms", []dashboard.DynamicConfigValue{{Id: "unit", Value: "ms"}}).
			OverrideByName("latency_p95_ms", []dashboard.DynamicConfigValue{{Id: "unit", Value: "ms"}}),
			"runs", "success_rate", "latency_p50_ms", "latency_p95_ms", "drill_runs")).
		WithPanel(headed(table.NewPanelBuilder().Title("MTTA / MTTC / MTTR per severity against the SLA targets").
			Description("Means over the incidents declared in the time range that got there; targets from the SLA variables; missed: later than the target, or not there and past it. The definitions of the app's statistics (GET stats). Drills left out.").
			Datasource(clickHouse()).WithTarget(sqlQuery("A", tableFormat, mttxBySeveritySQL)).
			GridPos(at(0, 16, 12, 8)).
			Unit("s").
			OverrideByName("incidents", []dashboard.DynamicConfigValue{{Id: "unit", Value: "none"}}).
			OverrideByName("ack_missed", []dashboard.DynamicConfigValue{{Id: "unit", Value: "none"}}).
			OverrideByName("contain_missed", []dashboard.DynamicConfigValue{{Id: "unit", Value: "none"}}),
			"severity", "incidents", "mtta", "ack_target", "ack_missed", "mttc", "contain_target", "contain_missed", "mttr")).
		WithPanel(withLegend(timeseries.NewPanelBuilder()).Title("MTTA / MTTC / MTTR trend").
			Description("Means per day (or per interval, when longer) of the incidents declared then. Drills left out.").
			Datasource(clickHouse()).WithTarget(sqlQuery("A", timeSeriesFormat, mttxTrendSQL)).
			GridPos(at(12, 16, 12, 8)).
			Unit("s").
			SpanNulls(common.BoolOrFloat64{Bool: cog.ToPtr(true)})).
		WithPanel(headed(table.NewPanelBuilder().Title("Top AI systems by incidents").
			Description("The ten AI systems with the most incidents declared in the time range. Drills left out.").
			Datasource(clickHouse()).WithTarget(sqlQuery("A", tableFormat, topAISystemsSQL)).
			GridPos(at(0, 24, 12, 8)), "ai_system", "incidents")).
		WithPanel(headed(table.NewPanelBuilder().Title("Regulatory deadlines: overdue and due within 72 h").
			Description("Unreported regulatory deadlines (EU AI Act, GDPR), earliest first; each row opens its incident. Drills left out.").
			Datasource(clickHouse()).WithTarget(sqlQuery("A", tableFormat, regulatoryDeadlinesSQL)).
			GridPos(at(12, 24, 12, 8)).
			OverrideByName("title", incidentLink()), "due_at", "state", "severity", "title", "ai_system")).
		WithPanel(headed(table.NewPanelBuilder().Title("Incidents by OWASP LLM entry").
			Description("Incidents declared in the time range by the OWASP Top 10 for LLM Applications 2025 entries they are classified with (an incident counts under each of its entries; unclassified ones are left out). Drills left out.").
			Datasource(clickHouse()).WithTarget(sqlQuery("A", tableFormat, byOWASPLLMSQL)).
			GridPos(at(0, 32, 12, 8)), "entry", "incidents")).
		WithPanel(headed(table.NewPanelBuilder().Title("Incidents by EU harm class").
			Description("Incidents declared in the time range by their EU harm class (AI Act Art. 3(49)), with the people affected where known and how many crossed borders. Drills left out.").
			Datasource(clickHouse()).WithTarget(sqlQuery("A", tableFormat, byHarmSQL)).
			GridPos(at(12, 32, 12, 8)), "harm_class", "incidents", "people_affected", "cross_border"))
}

// byOWASPLLMSQL counts the incidents of the range by OWASP LLM entry.
var byOWASPLLMSQL = `SELECT concat(code, ' ', transform(code, ` + owaspCodes + `, ` + owaspNames + `, '')) AS entry,
	count() AS incidents,
	countIf(severity = 'SEV1') AS SEV1, countIf(severity = 'SEV2') AS SEV2, countIf(severity = 'SEV3') AS SEV3
FROM (
	SELECT arrayJoin(owasp_llm) AS code, severity
	FROM ${database}.incidents
	WHERE drill = 0 AND ` + inRange + `
		AND ` + incidentFilter + `)
GROUP BY entry
ORDER BY incidents DESC, entry`

// owaspCodes and owaspNames are the OWASP Top 10 for LLM Applications 2025 as ClickHouse array literals, in order.
var owaspCodes, owaspNames = func() (string, string) {
	codes := slices.Sorted(maps.Keys(incident.OWASPLLM2025))
	names := make([]string, len(codes))
	for i, c := range codes {
		names[i] = incident.OWASPLLM2025[c]
	}
	quoted := func(l []string) string { return "['" + strings.Join(l, "', '") + "']" }
	return quoted(codes), quoted(names)
}()

func statPanel(title, sql, description string, pos dashboard.GridPos) *stat.PanelBuilder {
	return stat.NewPanelBuilder().Title(title).Description(description).
		Datasource(clickHouse()).WithTarget(sqlQuery("A", tableFormat, sql)).
		GridPos(pos).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeValueAndName).
		ColorMode(common.BigValueColorModeNone).
		Orientation(common.VizOrientationAuto).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Values(false).Calcs([]string{"lastNotNull"}))
}

// singleStatPanel is a stat of one figure: the panel's title names it, the value stands alone (not its column's name).
func singleStatPanel(title, sql, description string, pos dashboard.GridPos) *stat.PanelBuilder {
	return statPanel(title, sql, description, pos).TextMode(common.BigValueTextModeValue)
}

// perDaySQL counts the incidents declared each day by a column: a series per value, and drills a series of their
// own when asked for.
func perDaySQL(by string) string {
	return `SELECT toStartOfDay(declared_at) AS time, if(drill = 1, 'drill', ` + by + `) AS series, count() AS incidents
FROM ${database}.incidents
WHERE ` + inRange + ` AND (drill = 0 OR ${drills} = 1)
	AND ` + incidentFilter + `
GROUP BY time, series
ORDER BY time, series`
}

func perDayPanel(title, sql string, pos dashboard.GridPos) *timeseries.PanelBuilder {
	return withLegend(timeseries.NewPanelBuilder()).Title(title).
		Description("Incidents declared each day (days of the ClickHouse server's time zone). Drills are a series of their own, shown with \"Include drills\".").
		Datasource(clickHouse()).WithTarget(sqlQuery("A", timeSeriesFormat, sql)).
		GridPos(pos).
		DisplayName("${__field.labels.series}").
		DrawStyle(common.GraphDrawStyleBars).
		FillOpacity(80).
		Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)).
		Decimals(0)
}

// appLink is the dashboard link to the app's incident queue.
func appLink() *dashboard.DashboardLinkBuilder {
	return dashboard.NewDashboardLinkBuilder("Firebreak incidents").
		Type(dashboard.DashboardLinkTypeLink).
		Url("/a/firebreak-incident-app/incidents").
		Icon("external link")
}
