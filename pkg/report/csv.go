package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// CSVColumns are the columns of the incidents CSV, in order. Columns are only ever added at the end.
var CSVColumns = []string{
	"incident_id", "title", "ai_system", "category", "severity", "status", "drill",
	"declared_by", "declared_via", "reported_via",
	"started_at", "declared_at", "acknowledged_at", "contained_at", "resolved_at", "closed_at",
	"seconds_to_acknowledge", "seconds_to_contain", "seconds_to_resolve",
	"alert_count", "incident_lead", "review_complete", "regulatory_due_at", "last_seq",
	"owasp_llm", "atlas_tactics", "nist_ai_600_1", "harm", "people_affected", "deployment_breadth",
}

// CSVWriter writes incidents as CSV rows, one at a time (the period's rows are streamed from ClickHouse).
type CSVWriter struct{ w *csv.Writer }

// NewCSVWriter writes the header row.
func NewCSVWriter(w io.Writer) (*CSVWriter, error) {
	c := &CSVWriter{w: csv.NewWriter(w)}
	return c, c.w.Write(CSVColumns)
}

// Write writes one incident. Times are RFC 3339 in UTC, empty when not reached; the seconds to acknowledge, contain
// (contained, or else resolved or closed, as the statistics count it) and resolve are from the declaration. The
// taxonomy's lists are codes separated by spaces; what is not classified is empty.
func (c *CSVWriter) Write(inc *incident.Incident, reviewComplete bool, regulatoryDueAt time.Time) error {
	contained := inc.ContainedAt
	for _, t := range []time.Time{inc.ResolvedAt, inc.ClosedAt} {
		if contained.IsZero() {
			contained = t
		}
	}
	tax, people := inc.Taxonomy, ""
	if tax == nil {
		tax = &incident.Taxonomy{}
	}
	if tax.PeopleAffected != nil {
		people = strconv.FormatInt(*tax.PeopleAffected, 10)
	}
	return c.w.Write([]string{
		inc.ID, cell(inc.Title), cell(inc.AISystem), string(inc.Category), inc.Severity.String(), string(inc.Status), strconv.FormatBool(inc.Drill),
		cell(inc.DeclaredBy), cell(inc.DeclaredVia), cell(inc.ReportedVia),
		csvTime(inc.StartedAt), csvTime(inc.DeclaredAt), csvTime(inc.AcknowledgedAt), csvTime(inc.ContainedAt),
		csvTime(inc.ResolvedAt), csvTime(inc.ClosedAt),
		since(inc.DeclaredAt, inc.AcknowledgedAt), since(inc.DeclaredAt, contained), since(inc.DeclaredAt, inc.ResolvedAt),
		strconv.Itoa(inc.AlertCount), cell(inc.Lead()), strconv.FormatBool(reviewComplete), csvTime(regulatoryDueAt),
		strconv.FormatUint(uint64(inc.LastSeq), 10),
		strings.Join(tax.OWASPLLM, " "), strings.Join(tax.ATLASTactics, " "), strings.Join(tax.NISTRisks, " "), tax.Harm,
		people, tax.DeploymentBreadth,
	})
}

// Flush writes what is buffered and returns the first error of any write.
func (c *CSVWriter) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func since(from, to time.Time) string {
	if to.IsZero() {
		return ""
	}
	return strconv.FormatInt(int64(to.Sub(from)/time.Second), 10)
}

// cell keeps a text from being read as a formula by a spreadsheet: titles and names come from alerts and people, and
// "=HYPERLINK(...)" in a title must open as text.
func cell(s string) string {
	if s != "" {
		switch s[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + s
		}
	}
	return s
}
