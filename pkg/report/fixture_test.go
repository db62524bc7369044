package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares got with testdata/name, or writes it there with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./pkg/report -update to write it")
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file (go test ./pkg/report -update rewrites it after checking the change):\n%s", name, got)
	}
}

var t0 = time.Date(2026, 11, 3, 9, 14, 0, 0, time.UTC)

// fixture is an incident made of the events the receiver would record: an alert with a model_version label, a
// lead, a containment that ran with its evidence, the EU AI Act flag, a review and an initial report, at fixed times.
func fixture(t *testing.T) (*incident.Incident, []incident.Event, []byte) {
	t.Helper()
	const id = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b"
	inc, first, err := incident.Declare(id, incident.DeclaredBody{Title: "Support bot invents a refund policy", AISystem: "supportbot",
		Category: incident.Hallucination, Severity: incident.SEV1, DeclaredBy: "rule:HallucinationRateHigh", DeclaredVia: "alertmanager",
		GroupKey: `{}:{alertname="HallucinationRateHigh"}`, StartedAt: t0.Add(-6 * time.Minute)},
		t0, t0, "rule:HallucinationRateHigh", "Declared by HallucinationRateHigh on supportbot")
	require.NoError(t, err)
	events := []incident.Event{first}
	alert := incident.Alert{Key: incident.AlertKey("a1b2c3d4e5f60718", t0.Add(-6*time.Minute)), Fingerprint: "a1b2c3d4e5f60718",
		Name: "HallucinationRateHigh", Status: "firing", StartsAt: t0.Add(-6 * time.Minute), Source: "alertmanager",
		Labels:      map[string]string{"alertname": "HallucinationRateHigh", "ai_system": "supportbot", "model_version": "v2", "severity": "critical"},
		Annotations: map[string]string{"summary": "Ungrounded answers at 31% | over 5m"}}
	e, err := inc.Append(incident.KindAlertFired, alert.StartsAt, t0, "rule:HallucinationRateHigh", "HallucinationRateHigh firing", incident.AlertBody{Alert: alert})
	require.NoError(t, err)
	events = append(events, e)

	snapshot := []byte(`{"alerts":1,"note":"evidence taken before the rollback"}`)
	alice := incident.Actor{Login: "alice", Role: incident.Editor}
	root := incident.Actor{Login: "root", Role: incident.Admin}
	at := t0
	run := func(c *incident.Command, after time.Duration) {
		t.Helper()
		at = at.Add(after)
		c.IncidentID = id
		if c.Actor.Login == "" {
			c.Actor = alice
		}
		got, err := incident.Execute(c, inc, at)
		require.NoError(t, err, "%s", c.Kind)
		events = append(events, got...)
	}
	run(&incident.Command{ID: "c1", Kind: incident.CmdAcknowledge}, 3*time.Minute)
	run(&incident.Command{ID: "c2", Kind: incident.CmdAssignRole, Role: &incident.RoleBody{Role: incident.RoleIncidentLead, User: "alice"}}, time.Minute)
	run(&incident.Command{ID: "req-1", Kind: incident.CmdContainmentRequest, ContainmentRequest: &incident.ContainmentRequestBody{
		RequestID: "req-1", Action: "rollback", ActionKind: "rollback_model", Label: "Roll back to v1", Reason: "v2 hallucinates"}}, time.Minute)
	run(&incident.Command{ID: "req-1/attempt-1/start", Kind: incident.CmdContainmentStart, ContainmentStart: &incident.ContainmentStartRequest{
		ContainmentStartBody: incident.ContainmentStartBody{RequestID: "req-1", Attempt: 1, Target: "POST http://bot:9100/containment/rollback",
			Deadline: t0.Add(time.Hour), Evidence: incident.EvidenceRef{ID: "snap-1", SHA256: incident.SnapshotSHA256(snapshot), Bytes: len(snapshot)}},
		Snapshot: snapshot}}, 0)
	run(&incident.Command{ID: "req-1/attempt-1/outcome", Kind: incident.CmdContainmentOutcome, ContainmentOutcome: &incident.ContainmentOutcomeBody{
		RequestID: "req-1", Attempt: 1, Succeeded: true, HTTPStatus: 200, LatencyMS: 84, Tries: 1}}, time.Second)
	run(&incident.Command{ID: "c3", Kind: incident.CmdStatus, Status: &incident.StatusRequest{Status: "contained", Reason: "rolled back to v1"}}, time.Minute)
	run(&incident.Command{ID: "c4", Kind: incident.CmdRegulatoryFlag, RegulatoryFlag: &incident.RegulatoryFlagBody{
		Regime: incident.EUAIAct, Tier: incident.TierStandard, AwareAt: t0.Add(30 * time.Minute)}}, 30*time.Minute)
	run(&incident.Command{ID: "c5", Kind: incident.CmdNote, Note: &incident.NoteBody{Text: "Legal: <b>notify</b> the market surveillance authority"}}, time.Minute)
	run(&incident.Command{ID: "c6", Kind: incident.CmdStatus, Actor: root, Status: &incident.StatusRequest{Status: "resolved"}}, time.Hour)
	run(&incident.Command{ID: "c7", Kind: incident.CmdReview, Review: &incident.Review{StartedAt: t0.Add(-6 * time.Minute), DetectedAt: t0,
		ContainedAt: t0.Add(6 * time.Minute), Impact: "Wrong refund policy quoted to customers", Affected: "about 40 customers",
		RootCauseClass: "bad_data", RootCause: "Stale policy documents in the retrieval index",
		ActionItems:     []incident.ActionItem{{Text: "Re-index nightly", Owner: "bob", Due: "2026-12-01", Status: "open"}},
		PlaybookChanges: "Check retrieval freshness first", RegulatoryFollowUp: "EU AI Act initial report"}}, time.Hour)
	run(&incident.Command{ID: "c8", Kind: incident.CmdRegulatoryReport, RegulatoryReport: &incident.RegulatoryReportBody{
		Regime: incident.EUAIAct, Authority: "Bundesnetzagentur", Report: "initial", SentAt: t0.Add(26 * time.Hour), Reference: "BNetzA-2026-0042"}}, 24*time.Hour)
	return inc, events, snapshot
}
