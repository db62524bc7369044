package plugin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/report"
	"github.com/firebreak-dev/firebreak/pkg/store"
)

// Bounds of the incidents CSV: a period of at most a year, and at most maxExportRows incidents.
const (
	maxExportPeriod = 366 * 24 * time.Hour
	exportFlushRows = 500 // rows between flushes: the adapter sends what is written as one chunk
)

var (
	maxExportRows = 10000   // a variable for the test of the bound
	pdfChunk      = 1 << 20 // bytes of a report made whole per message to Grafana; a variable for the test of the chunks
)

// pdfRenders lets one PDF be made at a time in the plugin process, so that exports at once do not add up their
// peaks (report.MaxPDFPages bounds each); the others wait for it (as long as their request lasts).
var pdfRenders = make(chan struct{}, 1)

// exportIncident serves GET incidents/{id}/export?format=json|markdown|html|pdf: the incident report for auditors.
func (a *App) exportIncident(w http.ResponseWriter, r *http.Request) {
	actor, ok := actorOf(w, r)
	if !ok {
		return
	}
	format, err := formatParam(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	audit, ok := a.audit(w, r, actor)
	if !ok {
		return
	}
	writeReport(r.Context(), w, format, "incident-"+audit.Incident.ID+"-audit", audit.Write)
}

// audit gathers the audit report of the request's incident; it writes the error answer and returns false when it
// cannot.
func (a *App) audit(w http.ResponseWriter, r *http.Request, actor incident.Actor) (*report.Audit, bool) {
	inc, events := a.loadTimeline(w, r)
	if inc == nil {
		return nil, false
	}
	got, err := a.integrity(r.Context(), inc.ID)
	if err != nil {
		a.storeError(w, err)
		return nil, false
	}
	evidence, err := a.evidenceChecks(r.Context(), inc.ID, events)
	if err != nil {
		a.storeError(w, err)
		return nil, false
	}
	now := a.now().UTC()
	return &report.Audit{Schema: report.AuditSchema, GeneratedAt: now, GeneratedBy: actor.Login, Incident: inc,
		SLA: a.settings.SLA.SLA(inc, now), ReviewMissing: inc.ReviewMissing(), Evidence: evidence,
		Verification:  incident.Verify(got.Rows, got.State, got.Heads, a.settings.SigningKey),
		TimelineTotal: len(events), Timeline: events}, true
}

// evidenceChecks checks each evidence snapshot the timeline records against the stored one.
func (a *App) evidenceChecks(ctx context.Context, id string, events []incident.Event) ([]report.EvidenceCheck, error) {
	evidence := report.EvidenceRefs(events)
	for i, ref := range evidence {
		ev, err := a.store.EvidenceSnapshot(ctx, id, ref.SnapshotID)
		if err != nil {
			return nil, err
		}
		var stored *report.StoredEvidence
		if ev != nil {
			stored = &report.StoredEvidence{SHA256: ev.SHA256, Content: ev.Content, TakenAt: ev.TakenAt, TakenBy: ev.TakenBy}
		}
		evidence[i] = report.CheckEvidence(ref, stored)
	}
	return evidence, nil
}

// draftEUAIAct serves GET incidents/{id}/reports/eu-ai-act?type=initial|follow_up|combined|final&format=: the draft
// of the incident's EU AI Act serious-incident report. Drafting is recorded on the timeline (report_drafted, by the
// user, an Editor's change) once per request: the command's id is the user's X-Idempotency-Key or request_id, or
// else derives from the draft's content, so a retried download records nothing new.
func (a *App) draftEUAIAct(w http.ResponseWriter, r *http.Request) {
	actor, ok := actorOf(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	typ := q.Get("type")
	switch {
	case len(q["type"]) > 1:
		writeError(w, http.StatusBadRequest, "type: give it once")
		return
	case typ == "":
		writeError(w, http.StatusBadRequest, "type: missing (initial, follow_up, combined or final)")
		return
	case !slices.Contains(incident.ReportTypes, typ):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("type: %q is not one of %s", incident.Truncate(typ, 50), strings.Join(incident.ReportTypes, ", ")))
		return
	}
	format, err := formatParam(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	requestID := q.Get("request_id")
	if requestID != "" && (len(requestID) > 200 || !idempotencyKeyPattern.MatchString(requestID)) {
		writeError(w, http.StatusBadRequest, "request_id: at most 200 letters, digits and . _ : -")
		return
	}
	inc, events := a.loadTimeline(w, r)
	if inc == nil {
		return
	}
	if inc.Clock(incident.EUAIAct) == nil {
		writeConflict(w, fmt.Sprintf("incident %s is not flagged under the EU AI Act: flag it (regime eu_ai_act, with the time you became aware) "+
			"before drafting its serious-incident report", inc.ID), inc)
		return
	}
	evidence, err := a.evidenceChecks(r.Context(), inc.ID, events)
	if err != nil {
		a.storeError(w, err)
		return
	}
	rep, err := report.BuildEUAIAct(report.EUAIActInput{Type: typ, Incident: inc, Events: events, System: a.settings.AISystems[inc.AISystem],
		Evidence: evidence, GeneratedAt: a.now(), GeneratedBy: actor.Login})
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	// Made before drafting is recorded: the timeline never says a draft was made that its user did not get.
	body, ok := renderReport(r.Context(), w, format, rep.Write)
	if !ok {
		return
	}
	sum := rep.ContentSHA256()
	var cmdID string
	switch {
	case r.Header.Get("X-Idempotency-Key") != "":
		if cmdID, ok = commandID(w, r, actor, inc.ID); !ok {
			return
		}
	case requestID != "":
		cmdID = incident.IdempotencyID(actor.Login, inc.ID, requestID)
	default:
		cmdID = incident.IdempotencyID(actor.Login, inc.ID, "eu-ai-act-draft:"+typ+":"+sum)
	}
	c := &incident.Command{ID: cmdID, Kind: incident.CmdReportDraft, IncidentID: inc.ID, Actor: actor,
		ReportDraft: &incident.ReportDraftBody{Regime: incident.EUAIAct, ReportType: typ, Schema: report.EUAIActSchema, SHA256: sum,
			BasedOnSeq: rep.BasedOn.Seq}}
	if _, ok := a.command(w, r, c); !ok {
		return
	}
	sendReport(w, format, "incident-"+inc.ID+"-eu-ai-act-"+strings.ReplaceAll(typ, "_", "-"), body)
}

// formatParam reads ?format= (json when absent).
func formatParam(r *http.Request) (report.Format, error) {
	q := r.URL.Query()
	if len(q["format"]) > 1 {
		return "", errors.New("format: give it once")
	}
	return report.ParseFormat(q.Get("format"))
}

// writeReport answers a report as a file to download, named name.<extension>: a PDF made whole first
// (renderReport), the other formats streamed as they are written.
func writeReport(ctx context.Context, w http.ResponseWriter, f report.Format, name string, write func(io.Writer, report.Format) error) {
	if f == report.PDF {
		if body, ok := renderReport(ctx, w, f, write); ok {
			sendReport(w, f, name, body)
		}
		return
	}
	reportHeaders(w, f, name)
	w.WriteHeader(http.StatusOK)
	if err := write(w, f); err != nil {
		log.DefaultLogger.Warn("writing a report", "name", name, "error", err.Error())
	}
}

// renderReport makes a report whole in memory, a PDF once no other PDF is being made (pdfRenders); it answers the
// error and returns false when it cannot: a PDF longer than report.MaxPDFPages is a 400 naming format (the others
// hold any length), anything else a 500, never a cut-off file.
func renderReport(ctx context.Context, w http.ResponseWriter, f report.Format, write func(io.Writer, report.Format) error) ([]byte, bool) {
	var buf bytes.Buffer
	err := func() error {
		if f != report.PDF {
			return write(&buf, f)
		}
		select {
		case pdfRenders <- struct{}{}:
		case <-ctx.Done():
			return fmt.Errorf("the PDF was not made: the request ended while waiting for another PDF to be made (%w)", ctx.Err())
		}
		defer func() { <-pdfRenders }()
		return write(&buf, f)
	}()
	var tooLong *report.ErrPDFTooLong
	switch {
	case errors.As(err, &tooLong):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("format: %s; choose html (it prints well), markdown or json, which hold any length", err))
		return nil, false
	case err != nil:
		log.DefaultLogger.Error("writing a report", "format", string(f), "error", err.Error())
		writeError(w, http.StatusInternalServerError, err.Error())
		return nil, false
	}
	return buf.Bytes(), true
}

// sendReport answers a report made whole as a file to download, named name.<extension>.
func sendReport(w http.ResponseWriter, f report.Format, name string, body []byte) {
	reportHeaders(w, f, name)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	// In chunks: the adapter sends what is written between flushes as one gRPC message, and Grafana's client takes
	// messages of at most gRPC's default 4 MiB (the PDF of a 20,000-event timeline is larger).
	flush := http.NewResponseController(w)
	for len(body) > 0 {
		n := min(len(body), pdfChunk)
		if _, err := w.Write(body[:n]); err != nil {
			return // the client went away
		}
		_ = flush.Flush()
		body = body[n:]
	}
}

// reportHeaders sets the headers of a report to download. The HTML form runs nothing and loads nothing: the page
// may open on Grafana's origin.
func reportHeaders(w http.ResponseWriter, f report.Format, name string) {
	h := w.Header()
	h.Set("Content-Type", f.ContentType())
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, name, f.Extension()))
	h.Set("X-Content-Type-Options", "nosniff")
	if f == report.HTML {
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	}
}

// exportIncidents serves GET incidents/export?from=&to=&drills=: a CSV of the incidents declared in [from, to)
// (the last 30 days when neither is given), oldest first, with their key times and figures.
func (a *App) exportIncidents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.ExportFilter{}
	var err error
	if f.From, err = timeParam(q, "from"); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if f.To, err = timeParam(q, "to"); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if v := q.Get("drills"); v != "" {
		if f.IncludeDrills, err = strconv.ParseBool(v); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("drills: %q is not true or false", incident.Truncate(v, 50)))
			return
		}
	}
	if f.To.IsZero() {
		f.To = a.now().UTC()
	}
	if f.From.IsZero() {
		f.From = f.To.Add(-30 * 24 * time.Hour)
	}
	switch {
	case !f.From.Before(f.To):
		writeError(w, http.StatusBadRequest, "from: must be before to")
		return
	case f.To.Sub(f.From) > maxExportPeriod:
		writeError(w, http.StatusBadRequest, "from: the period from from to to is longer than the 366 days an export covers")
		return
	}
	a.awaitRecentWrites(r.Context())
	n, err := a.store.CountIncidents(r.Context(), f)
	if err != nil {
		a.storeError(w, err)
		return
	}
	if n > uint64(maxExportRows) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("from: the period holds %d incidents, more than the %d an export takes: export a shorter period", n, maxExportRows))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="incidents-%s-%s.csv"`,
		f.From.UTC().Format("20060102T150405Z"), f.To.UTC().Format("20060102T150405Z")))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	out, err := report.NewCSVWriter(w)
	if err != nil {
		return // the client went away
	}
	flush := http.NewResponseController(w)
	rows := 0
	err = a.store.ExportIncidents(r.Context(), f, maxExportRows, func(row *store.Row) error {
		if err := out.Write(&row.Incident, row.ReviewComplete, row.RegulatoryDueAt); err != nil {
			return err
		}
		if rows++; rows%exportFlushRows == 0 {
			if err := out.Flush(); err != nil {
				return err
			}
			_ = flush.Flush()
		}
		return nil
	})
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		// The header went out with 200: a cut-off CSV must not pass for a whole one.
		log.DefaultLogger.Warn("incidents CSV export failed midway", "rows", rows, "error", err.Error())
		fmt.Fprintf(w, "\n# export failed after %d rows: %s\n", rows, err.Error())
	}
}
