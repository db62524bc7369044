package store

import "strings"

// The schema, as numbered migrations. Every statement is idempotent and runs on ClickHouse 18.16 and on current
// releases: no Map, LowCardinality, DateTime64, TTL or CODEC; labels are parallel key/value arrays.
//
// Writes go to one table, ingest (engine Null: it keeps nothing). Three materialized views fan each inserted block
// out to events (the timeline), incident_state (current state per incident, latest version wins) and alerts (latest
// state per alert episode), so one INSERT writes all three. All three are ReplacingMergeTree keyed by identity, so
// writing the same rows twice (a retry, a replayed spool) changes nothing once merged, and FINAL hides it before.
//
// The stable interface for users and dashboards is the views incidents, incident_events and incident_alerts.

type migration struct {
	version     uint32
	description string
	// {db} is replaced by the quoted database name. "ALTER TABLE {db}.t ADD COLUMN c ..." is skipped when t has c
	// (ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS), so that a migration interrupted midway runs again.
	statements []string
}

const ingestColumns = `
	incident_id UUID,
	seq UInt32,
	at DateTime,
	at_ns UInt32,
	recorded_at DateTime,
	kind String,
	actor String,
	message String,
	body String,
	cause String,
	prev_hash String,
	hash String,
	write_state UInt8,
	title String,
	description String,
	ai_system String,
	category String,
	severity Enum8('SEV1' = 1, 'SEV2' = 2, 'SEV3' = 3),
	status Enum8('declared' = 1, 'acknowledged' = 2, 'contained' = 3, 'resolved' = 4, 'closed' = 5),
	declared_by String,
	declared_via String,
	group_key String,
	drill UInt8,
	started_at DateTime,
	declared_at DateTime,
	acknowledged_at Nullable(DateTime),
	contained_at Nullable(DateTime),
	resolved_at Nullable(DateTime),
	closed_at Nullable(DateTime),
	alert_count UInt32,
	firing_alert_count UInt32,
	incident_lead String,
	reported_via String,
	review_complete UInt8,
	regulatory_due_at Nullable(DateTime),
	action_items_due Array(DateTime),
	alert_key String,
	alert_fingerprint String,
	alert_name String,
	alert_status String,
	alert_starts_at DateTime,
	alert_ends_at Nullable(DateTime),
	alert_labels_keys Array(String),
	alert_labels_values Array(String),
	alert_annotations_keys Array(String),
	alert_annotations_values Array(String),
	alert_generator_url String,
	alert_values_keys Array(String),
	alert_values Array(Float64),
	alert_source String`

var migrations = []migration{
	{1, "events, incident state, alerts, and the incidents / incident_events / incident_alerts views", []string{
		`CREATE TABLE IF NOT EXISTS {db}.ingest (` + ingestColumns + `) ENGINE = Null`,

		`CREATE TABLE IF NOT EXISTS {db}.events (
			incident_id UUID,
			seq UInt32,
			at DateTime,
			at_ns UInt32,
			recorded_at DateTime,
			kind String,
			actor String,
			message String,
			body String,
			cause String,
			prev_hash String,
			hash String,
			declared_at DateTime
		) ENGINE = ReplacingMergeTree
		PARTITION BY toYYYYMM(declared_at)
		ORDER BY (incident_id, seq)`,

		`CREATE TABLE IF NOT EXISTS {db}.incident_state (` + stateColumns + `
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(declared_at)
		ORDER BY incident_id`,

		`CREATE TABLE IF NOT EXISTS {db}.alerts (
			incident_id UUID,
			alert_key String,
			version UInt32,
			fingerprint String,
			alertname String,
			status String,
			starts_at DateTime,
			ends_at Nullable(DateTime),
			labels_keys Array(String),
			labels_values Array(String),
			annotations_keys Array(String),
			annotations_values Array(String),
			generator_url String,
			values_keys Array(String),
			values Array(Float64),
			source String,
			declared_at DateTime
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(declared_at)
		ORDER BY (incident_id, alert_key)`,

		`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.events_mv TO {db}.events AS
		SELECT incident_id, seq, at, at_ns, recorded_at, kind, actor, message, body, cause, prev_hash, hash, declared_at
		FROM {db}.ingest`,

		`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.incident_state_mv TO {db}.incident_state AS
		` + stateSelect,

		`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.alerts_mv TO {db}.alerts AS
		SELECT incident_id, alert_key, seq AS version, alert_fingerprint AS fingerprint, alert_name AS alertname,
			alert_status AS status, alert_starts_at AS starts_at, alert_ends_at AS ends_at,
			alert_labels_keys AS labels_keys, alert_labels_values AS labels_values,
			alert_annotations_keys AS annotations_keys, alert_annotations_values AS annotations_values,
			alert_generator_url AS generator_url, alert_values_keys AS values_keys, alert_values AS values,
			alert_source AS source, declared_at
		FROM {db}.ingest WHERE alert_key != ''`,

		`CREATE VIEW IF NOT EXISTS {db}.incidents AS
		SELECT incident_id, title, description, ai_system, category, severity, status, declared_by, declared_via,
			drill, started_at, declared_at, acknowledged_at, contained_at, resolved_at, closed_at, alert_count,
			firing_alert_count, incident_lead, reported_via, review_complete, regulatory_due_at,
			version AS last_seq, updated_at
		FROM {db}.incident_state FINAL`,

		`CREATE VIEW IF NOT EXISTS {db}.incident_events AS
		SELECT incident_id, seq, at, at_ns, recorded_at, kind, actor, message, body, cause, prev_hash, hash
		FROM {db}.events FINAL`,

		`CREATE VIEW IF NOT EXISTS {db}.incident_alerts AS
		SELECT incident_id, alert_key, fingerprint, alertname, status, starts_at, ends_at, labels_keys, labels_values,
			annotations_keys, annotations_values, generator_url, values_keys, values, source
		FROM {db}.alerts FINAL`,
	}},
	{2, "evidence snapshots taken before containment actions", []string{
		// Immutable: rows are only ever inserted. A replayed write inserts the same bytes again; reads take one row
		// per snapshot id. The snapshot's SHA-256 is also on the incident's timeline (containment_started).
		`CREATE TABLE IF NOT EXISTS {db}.evidence (
			incident_id UUID,
			snapshot_id String,
			request_id String,
			attempt UInt32,
			taken_at DateTime,
			taken_by String,
			sha256 String,
			content String,
			declared_at DateTime
		) ENGINE = MergeTree
		PARTITION BY toYYYYMM(declared_at)
		ORDER BY (incident_id, snapshot_id)`,
	}},
	{3, "incident_state_by_time: the incident state ordered by declaration time, for lists and statistics", []string{
		`CREATE TABLE IF NOT EXISTS {db}.incident_state_by_time (` + stateColumns + `
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(declared_at)
		ORDER BY (declared_at, incident_id)`,
		`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.incident_state_by_time_mv TO {db}.incident_state_by_time AS
		` + stateSelect,
		// What was written before the view existed. Rows written since are copied twice: the same version of the
		// same incident, which the engine keeps once (and FINAL / LIMIT 1 BY read once before that).
		`INSERT INTO {db}.incident_state_by_time SELECT * FROM {db}.incident_state`,
	}}, {4, "incident_index: each incident's declaration time by id, to read one incident from its month's partition", []string{
		// One row per incident, one partition: finding an incident's declared_at reads one granule, where the
		// same lookup in events reads a block of every month.
		`CREATE TABLE IF NOT EXISTS {db}.incident_index (
			incident_id UUID,
			declared_at DateTime
		) ENGINE = ReplacingMergeTree
		ORDER BY incident_id`,
		`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.incident_index_mv TO {db}.incident_index AS
		SELECT incident_id, declared_at FROM {db}.ingest WHERE seq = 1`,
		// The incidents declared before the view existed (after it, the rows written meanwhile come twice: the
		// engine keeps one, and readers only use it in IN).
		`INSERT INTO {db}.incident_index SELECT incident_id, declared_at FROM {db}.incident_state`,
	}},
	{5, "chain_heads: the receiver's Ed25519 signatures over each incident's chain head, and the incident_chain_heads view", []string{
		// Written by the receiver after each write of events, one row per incident written (its last event). Rows
		// are only inserted; a replayed write signs the same head to the same bytes (Ed25519 is deterministic).
		`CREATE TABLE IF NOT EXISTS {db}.chain_heads (
			incident_id UUID,
			seq UInt32,
			hash String,
			key_id String,
			signature String,
			signed_at DateTime,
			declared_at DateTime
		) ENGINE = ReplacingMergeTree
		PARTITION BY toYYYYMM(declared_at)
		ORDER BY (incident_id, seq, key_id)`,
		`CREATE VIEW IF NOT EXISTS {db}.incident_chain_heads AS
		SELECT incident_id, seq, hash, key_id, signature, signed_at FROM {db}.chain_heads FINAL`,
	}},
	{6, "flapping: the flag of incidents whose alerts keep firing and clearing, in incident_state, incident_state_by_time and the incidents view",
		append(append([]string{
			`ALTER TABLE {db}.ingest ADD COLUMN flapping UInt8`,
			`ALTER TABLE {db}.incident_state ADD COLUMN flapping UInt8`,
			`ALTER TABLE {db}.incident_state_by_time ADD COLUMN flapping UInt8`,
		}, stateViews(stateSelect6)...), []string{
			// The view keeps every column it had, in the same order, and gains flapping at the end.
			`DROP TABLE IF EXISTS {db}.incidents`,
			`CREATE VIEW IF NOT EXISTS {db}.incidents AS
			SELECT incident_id, title, description, ai_system, category, severity, status, declared_by, declared_via,
				drill, started_at, declared_at, acknowledged_at, contained_at, resolved_at, closed_at, alert_count,
				firing_alert_count, incident_lead, reported_via, review_complete, regulatory_due_at,
				version AS last_seq, updated_at, flapping
			FROM {db}.incident_state FINAL`,
		}...)},
	{7, "dashboards: action_items_due on the incidents view; containment outcomes and the containment_runs view", []string{
		// 18.16 has no CREATE OR REPLACE VIEW: the view is made again with one more column, after those of
		// migration 6. Between the two statements a query of it fails; nothing is stored in a view.
		`DROP TABLE IF EXISTS {db}.incidents`,
		`CREATE VIEW IF NOT EXISTS {db}.incidents AS
		SELECT ` + incidentsColumns7 + `
		FROM {db}.incident_state FINAL`,
		// One row per containment outcome (containment_succeeded / containment_failed), with the figures of its
		// body as columns and the incident's drill flag and AI system, ordered by time: a month of outcomes is a
		// short range of it, where the same figures from incident_events parse every event's body.
		`CREATE TABLE IF NOT EXISTS {db}.containment_outcomes (
			incident_id UUID,
			seq UInt32,
			at DateTime,
			succeeded UInt8,
			request_id String,
			attempt UInt32,
			latency_ms Int64,
			tries UInt32,
			actor String,
			ai_system String,
			drill UInt8,
			declared_at DateTime
		) ENGINE = ReplacingMergeTree
		PARTITION BY toYYYYMM(declared_at)
		ORDER BY (at, incident_id, seq)`,
		`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.containment_outcomes_mv TO {db}.containment_outcomes AS
		` + containmentOutcomesSelect + `
		FROM {db}.ingest WHERE kind IN ('containment_succeeded', 'containment_failed')`,
		// The outcomes stored before the view existed (rows written meanwhile come twice: the engine keeps one).
		`INSERT INTO {db}.containment_outcomes
		` + containmentOutcomesSelect + `
		FROM (SELECT * FROM {db}.events FINAL WHERE kind IN ('containment_succeeded', 'containment_failed'))
		ANY LEFT JOIN (SELECT incident_id, ai_system, drill FROM {db}.incident_state FINAL) USING incident_id`,
		`CREATE VIEW IF NOT EXISTS {db}.containment_runs AS
		SELECT incident_id, seq, at, succeeded, request_id, attempt, latency_ms, tries, actor, ai_system, drill
		FROM {db}.containment_outcomes FINAL`,
	}},
	{8, "regulatory_deadlines: the incidents' regulatory deadlines, cheap to scan", []string{
		// Every state row, keyed like incident_state, but the strings only while a regulatory deadline is
		// pending: the newest state decides as in incident_state, and a scan of all incidents with FINAL (18.16
		// reads a view whole before filtering) reads the few titles it shows, not a million.
		`CREATE TABLE IF NOT EXISTS {db}.regulatory_state (
			incident_id UUID,
			version UInt32,
			declared_at DateTime,
			drill UInt8,
			severity Enum8('SEV1' = 1, 'SEV2' = 2, 'SEV3' = 3),
			regulatory_due_at Nullable(DateTime),
			title String,
			ai_system String,
			category String
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(declared_at)
		ORDER BY incident_id`,
		`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.regulatory_state_mv TO {db}.regulatory_state AS
		SELECT incident_id, seq AS version, ` + regulatoryStateColumns + `
		FROM {db}.ingest WHERE write_state = 1`,
		`INSERT INTO {db}.regulatory_state
		SELECT incident_id, version, ` + regulatoryStateColumns + `
		FROM {db}.incident_state FINAL`,
		`CREATE VIEW IF NOT EXISTS {db}.regulatory_deadlines AS
		SELECT incident_id, declared_at, drill, severity, regulatory_due_at, title, ai_system, category
		FROM {db}.regulatory_state FINAL`,
	}},
	{9, "taxonomy: the incidents' classifications (OWASP LLM, MITRE ATLAS, NIST AI 600-1, EU harm) as columns of the state and the incidents view",
		append(append(append(taxonomyAddColumns(), stateViews(stateSelect9)...), []string{
			// The view keeps every column it had, in the same order, and gains the taxonomy at the end.
			`DROP TABLE IF EXISTS {db}.incidents`,
			`CREATE VIEW IF NOT EXISTS {db}.incidents AS
			SELECT ` + incidentsColumns7 + `, ` + taxonomyColumnNames + `
			FROM {db}.incident_state FINAL`,
		}...), taxonomyBackfill("incident_state"), taxonomyBackfill("incident_state_by_time"))},
}

// stateViews drops the materialized views that fill the state tables and makes them again with sel, which selects
// the columns added to the tables. The receiver migrates before it writes, so nothing is inserted between the drop
// and the create.
func stateViews(sel string) []string {
	return []string{
		`DROP TABLE IF EXISTS {db}.incident_state_mv`,
		`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.incident_state_mv TO {db}.incident_state AS
			` + sel,
		`DROP TABLE IF EXISTS {db}.incident_state_by_time_mv`,
		`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.incident_state_by_time_mv TO {db}.incident_state_by_time AS
			` + sel,
	}
}

// incidentsColumns7 are the columns of the incidents view as migration 7 made it.
const incidentsColumns7 = `incident_id, title, description, ai_system, category, severity, status, declared_by,
			declared_via, drill, started_at, declared_at, acknowledged_at, contained_at, resolved_at, closed_at,
			alert_count, firing_alert_count, incident_lead, reported_via, review_complete, regulatory_due_at,
			version AS last_seq, updated_at, flapping, action_items_due`

// taxonomyColumns are the columns of incident.Taxonomy (added by migration 9 to ingest and the state tables, at the
// end). people_affected is NULL when not known.
var taxonomyColumns = [][2]string{
	{"owasp_llm", "Array(String)"}, {"atlas_tactics", "Array(String)"}, {"nist_ai_600_1", "Array(String)"},
	{"harm", "String"}, {"people_affected", "Nullable(Int64)"}, {"deployment_breadth", "String"},
}

const taxonomyColumnNames = `owasp_llm, atlas_tactics, nist_ai_600_1, harm, people_affected, deployment_breadth`

func taxonomyAddColumns() []string {
	var out []string
	for _, table := range []string{"ingest", "incident_state", "incident_state_by_time"} {
		for _, c := range taxonomyColumns {
			out = append(out, "ALTER TABLE {db}."+table+" ADD COLUMN "+c[0]+" "+c[1])
		}
	}
	return out
}

// taxonomyBackfill gives the incidents classified before migration 9 their classification in a state table: their
// newest state row again, at the same version, with the taxonomy of their last taxonomy_updated event (its body is
// the whole incident.Taxonomy, as encoding/json writes it; the codes are validated, so each list's raw JSON holds
// nothing else their patterns match; the patterns have no capture group, whose use may differ between releases).
// The engine keeps the row inserted last of equal versions, so FINAL reads the classified one; readers that take
// the newest version with LIMIT 1 BY prefer it too (stateNewestFirst). Run again (an interrupted migration), it
// inserts the same rows again, which changes nothing; an incident classified empty ({}) gets the row it had.
func taxonomyBackfill(table string) string {
	return `INSERT INTO {db}.` + table + `
		SELECT ` + stateColumnNames + `, flapping,
			extractAll(visitParamExtractRaw(taxonomy_body, 'owasp_llm'), 'LLM[0-9][0-9]'),
			extractAll(visitParamExtractRaw(taxonomy_body, 'atlas_tactics'), 'AML[.]TA[0-9][0-9][0-9][0-9]'),
			extractAll(visitParamExtractRaw(taxonomy_body, 'nist_ai_600_1'), '[a-z][a-z0-9_]*'),
			visitParamExtractString(taxonomy_body, 'harm'),
			if(visitParamHas(taxonomy_body, 'people_affected'), visitParamExtractInt(taxonomy_body, 'people_affected'), NULL),
			visitParamExtractString(taxonomy_body, 'deployment_breadth')
		FROM (
			SELECT ` + stateColumnNames + `, flapping FROM {db}.incident_state FINAL
			WHERE incident_id IN (SELECT incident_id FROM {db}.events WHERE kind = 'taxonomy_updated'))
		ANY INNER JOIN (
			SELECT incident_id, argMax(body, seq) AS taxonomy_body FROM {db}.events
			WHERE kind = 'taxonomy_updated' GROUP BY incident_id) USING incident_id`
}

// stateColumnNames are the names of stateColumns, in order.
var stateColumnNames = func() string {
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(stateColumns), "\n") {
		names = append(names, strings.Fields(line)[0])
	}
	return strings.Join(names, ", ")
}()

// regulatoryStateColumns are regulatory_state's columns after incident_id and version, from a state row.
const regulatoryStateColumns = `declared_at, drill, severity, regulatory_due_at,
			if(isNull(regulatory_due_at), '', title) AS title,
			if(isNull(regulatory_due_at), '', ai_system) AS ai_system,
			if(isNull(regulatory_due_at), '', category) AS category`

// containmentOutcomesSelect makes containment_outcomes rows of events (their body is incident.ContainmentOutcomeBody).
const containmentOutcomesSelect = `SELECT incident_id, seq, at, toUInt8(kind = 'containment_succeeded') AS succeeded,
			visitParamExtractString(body, 'request_id') AS request_id,
			toUInt32(visitParamExtractUInt(body, 'attempt')) AS attempt,
			visitParamExtractInt(body, 'latency_ms') AS latency_ms,
			toUInt32(visitParamExtractUInt(body, 'tries')) AS tries, actor, ai_system, drill, declared_at`

// stateColumns are the columns incident_state and incident_state_by_time were created with, in order; later
// migrations add columns after them (flapping, 6; the taxonomy, 9).
const stateColumns = `
	incident_id UUID,
	version UInt32,
	updated_at DateTime,
	title String,
	description String,
	ai_system String,
	category String,
	severity Enum8('SEV1' = 1, 'SEV2' = 2, 'SEV3' = 3),
	status Enum8('declared' = 1, 'acknowledged' = 2, 'contained' = 3, 'resolved' = 4, 'closed' = 5),
	declared_by String,
	declared_via String,
	group_key String,
	drill UInt8,
	started_at DateTime,
	declared_at DateTime,
	acknowledged_at Nullable(DateTime),
	contained_at Nullable(DateTime),
	resolved_at Nullable(DateTime),
	closed_at Nullable(DateTime),
	alert_count UInt32,
	firing_alert_count UInt32,
	incident_lead String,
	reported_via String,
	review_complete UInt8,
	regulatory_due_at Nullable(DateTime),
	action_items_due Array(DateTime),
	last_hash String`

// stateSelectColumns are the state columns of an ingest block, as the state tables were created with them.
const stateSelectColumns = `incident_id, seq AS version, recorded_at AS updated_at, title, description, ai_system, category,
			severity, status, declared_by, declared_via, group_key, drill, started_at, declared_at, acknowledged_at,
			contained_at, resolved_at, closed_at, alert_count, firing_alert_count, incident_lead, reported_via,
			review_complete, regulatory_due_at, action_items_due, hash AS last_hash`

// stateSelect6 is stateSelect with the columns added since (migration 6).
const stateSelect6 = `SELECT ` + stateSelectColumns + `, flapping
		FROM {db}.ingest WHERE write_state = 1`

// stateSelect9 is stateSelect6 with the taxonomy (migration 9).
const stateSelect9 = `SELECT ` + stateSelectColumns + `, flapping, ` + taxonomyColumnNames + `
		FROM {db}.ingest WHERE write_state = 1`

// stateSelect makes the state rows out of an ingest block, as incident_state_mv did before migration 6.
const stateSelect = `SELECT ` + stateSelectColumns + `
		FROM {db}.ingest WHERE write_state = 1`
