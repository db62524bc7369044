package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// IncidentAnnotationSQL is the annotation query (ClickHouse data source) that draws each incident of the
// dashboard's AI system as a region from its declaration to its resolution (to now while it is not resolved),
// titled with its severity and title, its text linking to the incident in the app. It needs the dashboard
// variables ai_system (one AI system) and database (the Firebreak database); drills are left out.
const IncidentAnnotationSQL = `SELECT declared_at AS time,
	ifNull(coalesce(resolved_at, closed_at), now()) AS timeEnd,
	concat(toString(severity), ': ', title) AS title,
	concat(toString(status), ', ', category, ': <a href="` + IncidentURL + `', toString(incident_id), '">open the incident</a>') AS text,
	concat(toString(severity), ',', category) AS tags
FROM ${database}.incidents
WHERE ai_system = ${ai_system:singlequote} AND drill = 0
	AND declared_at <= $__toTime AND ifNull(coalesce(resolved_at, closed_at), now()) >= $__fromTime
ORDER BY time
LIMIT 1000`

// IncidentAnnotation is the annotation of IncidentAnnotationSQL, for any dashboard with those variables.
func IncidentAnnotation() *dashboard.AnnotationQueryBuilder {
	return dashboard.NewAnnotationQueryBuilder().
		Name("Firebreak incidents").
		Datasource(clickHouse()).
		Enable(true).
		IconColor("red").
		Target(sqlQuery("Anno", tableFormat, IncidentAnnotationSQL))
}

// promPanel is one Prometheus time series of the AI system.
type promPanel struct {
	title, description, expr, legend, unit string
	threshold                              float64 // drawn as a dashed line; 0 for none
}

// rate of a counter of the dashboard's AI system, by model version.
func rate(metric string) string {
	return `sum by (model_version) (rate(` + metric + `{ai_system="$ai_system"}[$__rate_interval]))`
}

// AISystemHealth is the "AI system: <name> health" dashboard: the demo service's quality and security metrics
// (Prometheus, the metric names of demo/ and rules/) with the system's incidents as annotations.
func AISystemHealth(aiSystem string) *dashboard.DashboardBuilder {
	rows := [][]promPanel{{
		{"Hallucination rate", "Share of answers the LLM judge flagged as hallucinated (alert AIHallucinationRateHigh above 5%).",
			rate("demo_hallucinations_flagged_total") + " / " + rate("demo_answers_total"), "{{model_version}}", "percentunit", 0.05},
		{"Fairness gap", "Difference in approval rate between two customer groups (alert AIFairnessGapHigh above 0.1).",
			`max by (model_version) (demo_fairness_gap{ai_system="$ai_system"})`, "{{model_version}}", "none", 0.1},
		{"Input drift (PSI)", "Population stability index of the inputs against the training data (alert AIInputDriftHigh above 0.25).",
			`max by (model_version) (demo_input_drift_score{ai_system="$ai_system"})`, "{{model_version}}", "none", 0.25},
		{"Error rate", "Share of requests that failed (alert AIErrorRateHigh above 5%).",
			rate("demo_errors_total") + " / " + rate("demo_requests_total"), "{{model_version}}", "percentunit", 0.05},
	}, {
		{"Prompt injections", "Share of requests carrying a detected prompt injection (alert AIPromptInjectionDetected above 1%).",
			rate("demo_prompt_injections_detected_total") + " / " + rate("demo_requests_total"), "{{model_version}}", "percentunit", 0.01},
		{"Unauthorized use", "Share of requests from clients or for purposes not approved (alert AIUnauthorizedUse above 1%).",
			rate("demo_unauthorized_requests_total") + " / " + rate("demo_requests_total"), "{{model_version}}", "percentunit", 0.01},
		{"Personal data in answers", "Answers per second in which personal data of someone else was detected (alert AIDataExposure on any).",
			rate("demo_pii_leaks_detected_total"), "{{model_version}}", "reqps", 0},
		{"Human reviews skipped", "Share of answers that needed a human review and were sent without one (alert AIHumanOversightSkipped above 1%).",
			rate("demo_human_reviews_skipped_total") + " / " + rate("demo_human_reviews_required_total"), "{{model_version}}", "percentunit", 0.01},
	}, {
		{"Requests", "Requests per second, by model version.", rate("demo_requests_total"), "{{model_version}}", "reqps", 0},
		{"Feature enabled share", "Share of users the AI feature answers: 1 for all, lower while containment disables it for some.",
			`max(demo_feature_enabled_share{ai_system="$ai_system"})`, "enabled", "percentunit", 0},
		{"Model version serving", "1 for the model version that serves the traffic.",
			`max by (model_version) (demo_model_info{ai_system="$ai_system"})`, "{{model_version}}", "none", 0},
	}}
	b := dashboard.NewDashboardBuilder("AI system: "+aiSystem+" health").
		Uid("firebreak-ai-system-"+aiSystem).
		Description("Quality and security metrics of "+aiSystem+" (Prometheus), with its Firebreak incidents drawn as regions from declaration to resolution.").
		Tags([]string{"firebreak", "ai-system"}).
		Time("now-6h", "now").
		Refresh("30s").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Link(appLink()).
		WithVariable(databaseVar()).
		WithVariable(dashboard.NewConstantVariableBuilder("ai_system").Label("AI system").
			Value(dashboard.StringOrMap{String: cog.ToPtr(aiSystem)})).
		Annotation(IncidentAnnotation())
	y := uint32(0)
	for _, row := range rows {
		w := 24 / uint32(len(row))
		for i, p := range row {
			b = b.WithPanel(p.build(at(uint32(i)*w, y, w, 8)))
		}
		y += 8
	}
	return b
}

func (p promPanel) build(pos dashboard.GridPos) *timeseries.PanelBuilder {
	pb := withLegend(timeseries.NewPanelBuilder()).Title(p.title).Description(p.description).
		Datasource(prometheus()).WithTarget(promQuery("A", p.expr, p.legend)).
		GridPos(pos).
		Unit(p.unit)
	if p.threshold > 0 {
		pb = pb.Thresholds(dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).
			Steps([]dashboard.Threshold{{Color: "green"}, {Value: cog.ToPtr(p.threshold), Color: "red"}})).
			ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed))
	}
	return pb
}
