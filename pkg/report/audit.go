package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// AuditSchema names the version of the Audit JSON. Fields are only ever added; a change of meaning is a new version.
const AuditSchema = "firebreak.incident-audit/v1"

// Audit is the incident report for auditors: the incident as folded from its timeline (its containment requests
// with their attempts, its review and its regulatory clocks included), the whole timeline with its hash chain, each
// evidence snapshot with its three hashes, and the verification of the stored timeline.
type Audit struct {
	Schema        string                `json:"schema"`
	GeneratedAt   time.Time             `json:"generated_at"`
	GeneratedBy   string                `json:"generated_by"` // the Grafana login
	Incident      *incident.Incident    `json:"incident"`
	SLA           incident.SLAState     `json:"sla"`
	ReviewMissing []string              `json:"review_missing"` // what the review lacks at the incident's severity
	Evidence      []EvidenceCheck       `json:"evidence"`
	Verification  incident.Verification `json:"verification"`
	TimelineTotal int                   `json:"timeline_total"`
	Timeline      []incident.Event      `json:"-"` // written last, as "timeline" (WriteAuditJSON)
}

// EvidenceCheck is one evidence snapshot with the hashes that must agree: recorded on the hash-chained timeline when
// it was taken, stored with it, and recomputed from its stored bytes now.
type EvidenceCheck struct {
	SnapshotID       string    `json:"snapshot_id"`
	RequestID        string    `json:"request_id"`
	Attempt          int       `json:"attempt"`
	TimelineSeq      uint32    `json:"timeline_seq"` // the containment_started event that records it
	TimelineSHA256   string    `json:"timeline_sha256"`
	StoredSHA256     string    `json:"stored_sha256"`     // "" when the snapshot is not stored
	RecomputedSHA256 string    `json:"recomputed_sha256"` // "" when the snapshot is not stored
	Bytes            int       `json:"bytes"`
	TakenAt          time.Time `json:"taken_at,omitzero"`
	TakenBy          string    `json:"taken_by,omitempty"`
	Verified         bool      `json:"verified"`
	Problem          string    `json:"problem,omitempty"`
}

// StoredEvidence is what the evidence table holds of a snapshot.
type StoredEvidence struct {
	SHA256  string
	Content []byte
	TakenAt time.Time
	TakenBy string
}

// EvidenceRefs lists the evidence snapshots the timeline records (containment_started events), in order.
func EvidenceRefs(events []incident.Event) []EvidenceCheck {
	out := []EvidenceCheck{}
	for _, e := range events {
		if e.Kind != incident.KindContainmentStarted {
			continue
		}
		var b incident.ContainmentStartBody
		if json.Unmarshal(e.Body, &b) != nil || b.Evidence.ID == "" {
			continue
		}
		out = append(out, EvidenceCheck{SnapshotID: b.Evidence.ID, RequestID: b.RequestID, Attempt: b.Attempt,
			TimelineSeq: e.Seq, TimelineSHA256: b.Evidence.SHA256, Bytes: b.Evidence.Bytes})
	}
	return out
}

// CheckEvidence compares each snapshot the timeline records with the stored one (nil: not stored).
func CheckEvidence(ref EvidenceCheck, stored *StoredEvidence) EvidenceCheck {
	c := ref
	if stored == nil {
		c.Problem = "the snapshot is not stored"
		return c
	}
	c.StoredSHA256, c.RecomputedSHA256 = stored.SHA256, incident.SnapshotSHA256(stored.Content)
	c.TakenAt, c.TakenBy, c.Bytes = stored.TakenAt.UTC(), stored.TakenBy, len(stored.Content)
	switch {
	case c.RecomputedSHA256 != c.StoredSHA256:
		c.Problem = "the stored bytes do not hash to the stored SHA-256: altered after they were taken"
	case c.StoredSHA256 != c.TimelineSHA256:
		c.Problem = "the stored SHA-256 is not the one the timeline recorded when the snapshot was taken"
	default:
		c.Verified = true
	}
	return c
}

// WriteAuditJSON writes a as JSON, its timeline last (written by incident.AppendTimelineJSON: encoding/json is slow
// over thousands of events).
func WriteAuditJSON(w io.Writer, a *Audit) error {
	head, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encoding the audit report: %w", err)
	}
	size := len(head) + 16
	for i := range a.Timeline {
		size += len(a.Timeline[i].Body) + len(a.Timeline[i].Message) + 400 // the other fields, hashes included
	}
	out := append(make([]byte, 0, size), head[:len(head)-1]...)
	out = append(out, `,"timeline":`...)
	if out, err = incident.AppendTimelineJSON(out, a.Timeline); err != nil {
		return fmt.Errorf("encoding the timeline: %w", err)
	}
	_, err = w.Write(append(out, "}\n"...))
	return err
}

// Write writes a in the format.
func (a *Audit) Write(w io.Writer, f Format) error {
	if f == JSON {
		return WriteAuditJSON(w, a) // one write of the whole document: nothing to buffer
	}
	return a.Document().Write(w, f)
}

// Document is the readable form of the audit report.
func (a *Audit) Document() *Document {
	inc := a.Incident
	d := &Document{Title: "Incident report: " + inc.Title, Subject: subject(inc.ID, inc.Title), At: a.GeneratedAt, Lines: []string{
		"Incident " + inc.ID + drillNote(inc),
		"Generated " + ts(a.GeneratedAt) + " by " + a.GeneratedBy + " from Firebreak's append-only, hash-chained timeline (" + AuditSchema + ")",
	}}
	d.Sections = append(d.Sections, Section{Heading: "Incident", Fields: []Field{
		{Label: "Incident id", Value: inc.ID},
		{Label: "Title", Value: inc.Title},
		{Label: "Description", Value: orNone(inc.Description)},
		{Label: "AI system", Value: inc.AISystem},
		{Label: "Category", Value: string(inc.Category)},
		{Label: "Severity", Value: inc.Severity.String()},
		{Label: "Status", Value: string(inc.Status)},
		{Label: "Declared by", Value: inc.DeclaredBy + " via " + inc.DeclaredVia},
		{Label: "Reported via", Value: orNone(inc.ReportedVia)},
		{Label: "Started", Value: ts(inc.StartedAt)},
		{Label: "Declared", Value: ts(inc.DeclaredAt)},
		{Label: "Acknowledged", Value: ts(inc.AcknowledgedAt)},
		{Label: "Contained", Value: ts(inc.ContainedAt)},
		{Label: "Resolved", Value: ts(inc.ResolvedAt)},
		{Label: "Closed", Value: ts(inc.ClosedAt)},
		{Label: "Alerts", Value: fmt.Sprintf("%d (%d firing)", inc.AlertCount, inc.FiringCount)},
		{Label: "Acknowledge due", Value: due(a.SLA.AcknowledgeDueAt, a.SLA.AcknowledgeBreached)},
		{Label: "Contain due", Value: due(a.SLA.ContainDueAt, a.SLA.ContainBreached)},
	}, Tables: []Table{rolesTable(inc.Roles)}})
	if inc.Taxonomy != nil {
		d.Sections = append(d.Sections, taxonomySection(inc))
	}
	d.Sections = append(d.Sections, regulatorySection(inc), a.integritySection(), containmentSection(inc),
		a.evidenceSection(), reviewSection(inc.Review, a.ReviewMissing), a.timelineSection())
	return d
}

// subject names the incident at the top of every page of the PDF.
func subject(id, title string) string { return "Incident " + id + ": " + title }

func drillNote(inc *incident.Incident) string {
	if inc.Drill {
		return " (a drill)"
	}
	return ""
}

func rolesTable(roles map[string]string) Table {
	t := Table{Caption: "Response roles", Columns: []string{"Role", "Person"}}
	for _, r := range incident.ResponseRoles {
		if roles[r] != "" {
			t.Rows = append(t.Rows, []string{r, roles[r]})
		}
	}
	return t
}

func taxonomySection(inc *incident.Incident) Section {
	t := inc.Taxonomy
	var owasp, nist []string
	for _, c := range t.OWASPLLM {
		owasp = append(owasp, c+" "+incident.OWASPLLM2025[c])
	}
	for _, r := range t.NISTRisks {
		nist = append(nist, incident.NISTRisks[r])
	}
	var atlas []string
	for _, a := range t.ATLASTactics {
		atlas = append(atlas, a+" "+incident.ATLASTactics[a])
	}
	people := "—"
	if t.PeopleAffected != nil {
		people = strconv.FormatInt(*t.PeopleAffected, 10)
	}
	return Section{Heading: "Classification", Fields: []Field{
		{Label: "Classified by", Value: strings.TrimPrefix(ClassifiedBy(inc), "classified by ")},
		{Label: "OWASP Top 10 for LLM Applications 2025", Value: orNone(strings.Join(owasp, ", "))},
		{Label: "MITRE ATLAS tactics", Value: orNone(strings.Join(atlas, ", "))},
		{Label: "NIST AI 600-1 risks", Value: orNone(strings.Join(nist, ", "))},
		{Label: "Harm (EU)", Value: orNone(t.Harm)},
		{Label: "People affected", Value: people},
		{Label: "Deployment breadth", Value: orNone(t.DeploymentBreadth)},
	}}
}

func regulatorySection(inc *incident.Incident) Section {
	s := Section{Heading: "Regulatory reporting"}
	clocks := Table{Caption: "Clocks", Columns: []string{"Regime", "Tier", "Aware", "Due", "Initial report", "Complete report"}}
	reports := Table{Caption: "Reports sent", Columns: []string{"Regime", "Report", "Authority", "Sent", "Reference"}}
	for _, c := range inc.Regulatory {
		clocks.Rows = append(clocks.Rows, []string{string(c.Regime), c.Tier, ts(c.AwareAt), ts(c.DueAt), ts(c.InitialAt), ts(c.CompleteAt)})
		for _, r := range c.Reports {
			reports.Rows = append(reports.Rows, []string{string(r.Regime), r.Report, r.Authority, ts(r.SentAt), r.Reference})
		}
	}
	s.Tables = []Table{clocks, reports}
	return s
}

func (a *Audit) integritySection() Section {
	v := a.Verification
	s := Section{Heading: "Timeline integrity", Fields: []Field{
		{Label: "Intact", Value: yesNo(v.Intact)},
		{Label: "Events checked", Value: strconv.Itoa(v.Events)},
		{Label: "Last hash", Value: orNone(v.LastHash), Mono: v.LastHash != ""},
		{Label: "Signatures", Value: v.Signature.Status + signatureDetail(v.Signature)},
	}}
	problems := Table{Caption: "Problems", Columns: []string{"Event", "Kind", "Detail"}}
	for _, p := range v.Problems {
		problems.Rows = append(problems.Rows, []string{strconv.FormatUint(uint64(p.Seq), 10), p.Kind, p.Detail})
	}
	s.Tables = []Table{problems}
	return s
}

func signatureDetail(c incident.SignatureCheck) string {
	if c.KeyID == "" {
		return fmt.Sprintf(" (%d signed heads stored)", c.Heads)
	}
	return fmt.Sprintf(" (key %s, events 1-%d covered, %d signed heads stored)", c.KeyID, c.CoveredThrough, c.Heads)
}

func containmentSection(inc *incident.Incident) Section {
	reqs := Table{Caption: "Requests", Columns: []string{"Request", "Action", "Kind", "Requested", "Reason", "State", "Decision"}}
	attempts := Table{Caption: "Attempts", Columns: []string{"Request", "Attempt", "Started", "Target", "Dry run", "Outcome", "Finished", "Evidence SHA-256"},
		Mono: []string{"Evidence SHA-256"}}
	for _, r := range inc.Containment {
		decision := ""
		if r.DecidedBy != "" {
			decision = strings.TrimSpace(r.DecidedBy + " " + ts(r.DecidedAt) + " " + r.DecisionReason)
		}
		reqs.Rows = append(reqs.Rows, []string{r.RequestID, r.Label + " (" + r.Action + ")", r.ActionKind,
			r.RequestedBy + " " + ts(r.RequestedAt), r.Reason, string(r.State), decision})
		for _, at := range r.Attempts {
			attempts.Rows = append(attempts.Rows, []string{r.RequestID, strconv.Itoa(at.Attempt), at.StartedBy + " " + ts(at.StartedAt),
				at.Target, yesNo(at.DryRun), outcome(at.Outcome), ts(at.FinishedAt), at.Evidence.SHA256})
		}
	}
	return Section{Heading: "Containment", Tables: []Table{reqs, attempts}}
}

func outcome(o *incident.ContainmentOutcomeBody) string {
	switch {
	case o == nil:
		return "no outcome recorded"
	case o.Succeeded:
		return fmt.Sprintf("succeeded (HTTP %d, %d ms, %s)", o.HTTPStatus, o.LatencyMS, tries(o.Tries))
	}
	return fmt.Sprintf("failed (HTTP %d, %s): %s", o.HTTPStatus, tries(o.Tries), o.Error)
}

func tries(n int) string {
	if n == 1 {
		return "1 try"
	}
	return fmt.Sprintf("%d tries", n)
}

func (a *Audit) evidenceSection() Section {
	t := Table{Columns: []string{"Snapshot", "Request / attempt", "Timeline event", "SHA-256 on the timeline", "SHA-256 stored", "SHA-256 recomputed", "Verified"},
		Mono: []string{"SHA-256 on the timeline", "SHA-256 stored", "SHA-256 recomputed"}}
	for _, e := range a.Evidence {
		verified := yesNo(e.Verified)
		if e.Problem != "" {
			verified += ": " + e.Problem
		}
		t.Rows = append(t.Rows, []string{e.SnapshotID, fmt.Sprintf("%s / %d", e.RequestID, e.Attempt),
			strconv.FormatUint(uint64(e.TimelineSeq), 10), e.TimelineSHA256, e.StoredSHA256, e.RecomputedSHA256, verified})
	}
	return Section{Heading: "Evidence snapshots", Text: []string{
		"Each snapshot was taken before a containment action ran; its SHA-256 is on the hash-chained timeline."}, Tables: []Table{t}}
}

func reviewSection(r *incident.Review, missing []string) Section {
	s := Section{Heading: "Post-incident review"}
	if r == nil {
		s.Text = []string{"No review recorded."}
		return s
	}
	s.Fields = []Field{
		{Label: "Started", Value: ts(r.StartedAt)},
		{Label: "Detected", Value: ts(r.DetectedAt)},
		{Label: "Contained", Value: ts(r.ContainedAt)},
		{Label: "Impact", Value: orNone(r.Impact)},
		{Label: "Affected", Value: orNone(r.Affected)},
		{Label: "Root cause class", Value: orNone(r.RootCauseClass)},
		{Label: "Root cause", Value: orNone(r.RootCause)},
		{Label: "Playbook changes", Value: orNone(r.PlaybookChanges)},
		{Label: "Regulatory follow-up", Value: orNone(r.RegulatoryFollowUp)},
		{Label: "Complete", Value: completeness(missing)},
	}
	items := Table{Caption: "Action items", Columns: []string{"Action", "Owner", "Due", "Status"}}
	for _, it := range r.ActionItems {
		items.Rows = append(items.Rows, []string{it.Text, it.Owner, it.Due, it.Status})
	}
	if r.ActionItemsNone {
		s.Text = []string{"No action items follow (said explicitly)."}
	}
	s.Tables = []Table{items}
	return s
}

func completeness(missing []string) string {
	if len(missing) == 0 {
		return "yes"
	}
	return "no; missing: " + strings.Join(missing, ", ")
}

func (a *Audit) timelineSection() Section {
	t := Table{Columns: []string{"Seq", "At", "Recorded", "Kind", "Actor", "Message", "Hash"}, Mono: []string{"Hash"}}
	t.Rows = make([][]string, 0, len(a.Timeline))
	for _, e := range a.Timeline {
		t.Rows = append(t.Rows, []string{strconv.FormatUint(uint64(e.Seq), 10), ts(e.At), ts(e.RecordedAt), string(e.Kind), e.Actor, e.Message, e.Hash})
	}
	return Section{Heading: "Timeline", Text: []string{fmt.Sprintf(
		"All %d events in order. Each event's hash covers the previous event's hash and every stored field of the event.", a.TimelineTotal)},
		Tables: []Table{t}}
}

// ts writes a time as RFC 3339 in UTC, "—" for none.
func ts(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(time.RFC3339)
}

func due(at time.Time, breached bool) string {
	if at.IsZero() {
		return "no target"
	}
	if breached {
		return ts(at) + " (missed)"
	}
	return ts(at)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
