package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"
)

// The responders dashboard's SQL: what is open now (any declaration time), and the timeline of the time range.
const (
	openIncidentsSQL = `SELECT toString(severity) AS severity, title, toString(status) AS status,
	if(drill = 1, 'drill', '') AS drill, ai_system, category, declared_at,
	toInt64(now()) - toInt64(declared_at) AS age, firing_alert_count AS firing, alert_count AS alerts,
	incident_lead AS lead, toString(incident_id) AS incident_id
FROM ${database}.incidents
WHERE ` + openStatus + `
	AND $__conditionalAll(ai_system IN (${ai_system:singlequote}), $ai_system)
	AND $__conditionalAll(toString(severity) IN (${severity:singlequote}), $severity)
ORDER BY severity, declared_at DESC
LIMIT 500`

	// seconds_left: to the acknowledge target of the incident's severity (the SLA variables); negative once
	// breached.
	unacknowledgedSQL = `SELECT toString(severity) AS severity, title, ai_system, declared_at,
	toDateTime(toInt64(declared_at) + ack_target) AS acknowledge_due,
	toInt64(declared_at) + ack_target - toInt64(now()) AS seconds_left,
	toString(incident_id) AS incident_id
FROM (
	SELECT incident_id, severity, title, ai_system, declared_at, ` + ackTarget + ` AS ack_target
	FROM ${database}.incidents
	WHERE ` + openStatus + ` AND isNull(acknowledged_at) AND severity IN ('SEV1', 'SEV2')
		AND $__conditionalAll(ai_system IN (${ai_system:singlequote}), $ai_system))
ORDER BY seconds_left, incident_id
LIMIT 200`

	firingAlertsSQL = `SELECT title, toString(severity) AS severity, ai_system, firing_alert_count AS firing,
	alert_count AS alerts, toString(incident_id) AS incident_id
FROM ${database}.incidents
WHERE ` + openStatus + ` AND firing_alert_count > 0
	AND $__conditionalAll(ai_system IN (${ai_system:singlequote}), $ai_system)
	AND $__conditionalAll(toString(severity) IN (${severity:singlequote}), $severity)
ORDER BY firing DESC, incident_id
LIMIT 100`

	// The timeline events of the open incidents, newest first. The open incidents' ids come first (a few
	// thousand at most); the events are then read through the view's key. (The ids are named id inside: an alias
	// incident_id would stand for the string in the IN.)
	recentEventsSQL = `SELECT at, kind, actor, message, toString(id) AS incident_id
FROM (
	SELECT at, seq, kind, actor, message, incident_id AS id
	FROM ${database}.incident_events
	WHERE incident_id IN (
			SELECT incident_id FROM ${database}.incidents
			WHERE ` + openStatus + `
				AND $__conditionalAll(ai_system IN (${ai_system:singlequote}), $ai_system)
				AND $__conditionalAll(toString(severity) IN (${severity:singlequote}), $severity))
		AND $__timeFilter(at))
ORDER BY at DESC, seq DESC
LIMIT 200`
)

// Responders is the "AI incidents: responders" dashboard.
func Responders() *dashboard.DashboardBuilder {
	b := dashboard.NewDashboardBuilder("AI incidents: responders").
		Uid("firebreak-responders").
		Description("Open AI incidents, unacknowledged SEV1/SEV2 against their acknowledge target, alerts still firing, and the latest timeline events.").
		Tags([]string{"firebreak", "ai-incidents"}).
		Time("now-24h", "now").
		Refresh("30s").
		Link(appLink()).
		WithVariable(databaseVar()).
		WithVariable(aiSystemVar()).
		WithVariable(listVar("severity", "Severity", severities))
	for _, v := range slaVars()[:3] {
		b = b.WithVariable(v)
	}
	return b.
		WithPanel(headed(linkedTable("Open incidents", "Declared, acknowledged or contained, most severe first, then newest; drills marked. Each title opens the incident.", openIncidentsSQL, at(0, 0, 24, 10)).
			OverrideByName("age", []dashboard.DynamicConfigValue{{Id: "unit", Value: "s"}}),
			"severity", "title", "status", "drill", "ai_system", "category", "declared_at", "age", "firing", "alerts", "lead")).
		WithPanel(headed(linkedTable("Unacknowledged SEV1 / SEV2: SLA countdown", "Open and never acknowledged; time left to the acknowledge target (the SLA variables), negative once breached. Soonest first.", unacknowledgedSQL, at(0, 10, 12, 9)).
			OverrideByName("seconds_left", []dashboard.DynamicConfigValue{{Id: "unit", Value: "s"}}),
			"severity", "title", "ai_system", "declared_at", "acknowledge_due", "seconds_left")).
		WithPanel(headed(linkedTable("Alerts still firing per incident", "Open incidents with alerts still firing, most first.", firingAlertsSQL, at(12, 10, 12, 9)),
			"title", "severity", "ai_system", "firing", "alerts")).
		WithPanel(headed(table.NewPanelBuilder().Title("Recent timeline events").
			Description("The latest events of open incidents in the time range, newest first; each opens its incident.").
			Datasource(clickHouse()).WithTarget(sqlQuery("A", tableFormat, recentEventsSQL)).
			GridPos(at(0, 19, 24, 10)).
			OverrideByName("message", incidentLink()), "at", "kind", "actor", "message"))
}

// linkedTable is a table of incidents whose titles open them.
func linkedTable(title, description, sql string, pos dashboard.GridPos) *table.PanelBuilder {
	return table.NewPanelBuilder().Title(title).Description(description).
		Datasource(clickHouse()).WithTarget(sqlQuery("A", tableFormat, sql)).
		GridPos(pos).
		OverrideByName("title", incidentLink())
}
