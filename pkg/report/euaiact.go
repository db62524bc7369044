package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// EUAIActSchema names the version of the EUAIAct JSON. Fields are only ever added; a change of meaning is a new
// version.
const EUAIActSchema = "firebreak.eu-ai-act-serious-incident/v1"

// EUAIActTemplate is the template the report follows.
const EUAIActTemplate = "European Commission draft template for serious incident reports under Article 73 of the AI Act (v1.0.0, September 2025)"

// AISystemFacts are what does not change about an AI system for its reports: from the plugin's settings
// (jsonData.aiSystems.<ai_system>). Empty fields are left for a person to fill.
type AISystemFacts struct {
	Name           string `json:"name"`           // as registered; the incident's ai_system when empty
	Provider       string `json:"provider"`       // the provider's name and address
	RegistrationID string `json:"registrationId"` // in the EU database (Art. 71)
	Authority      string `json:"authority"`      // the market surveillance authority reports go to
	SubmitterRole  string `json:"submitterRole"`  // provider | deployer | authorised_representative
	Contact        string `json:"contact"`        // who the authority contacts: name, email, phone
}

// SubmitterRoles are the roles a report's submitter may have.
var SubmitterRoles = []string{"provider", "deployer", "authorised_representative"}

// Value is one field of the report: pre-filled from what Firebreak knows (Source says where from), or marked for a
// person to fill (ToFill, with a Hint); a pre-filled value a person must still confirm or complete is both.
type Value struct {
	Value  string `json:"value"`
	ToFill bool   `json:"to_fill"`
	Hint   string `json:"hint,omitempty"`
	Source string `json:"source,omitempty"`
}

// EUAIAct is the draft of an EU AI Act serious-incident report (Art. 73), in the sections of the Commission's
// template. It is a draft: a person completes the fields marked to_fill, checks the rest and sends it, then logs the
// report sent (POST incidents/{id}/regulatory/reports), which stops the clock.
type EUAIAct struct {
	Schema      string    `json:"schema"`
	Template    string    `json:"template"`
	Draft       bool      `json:"draft"` // always true
	ReportType  string    `json:"report_type"`
	IncidentID  string    `json:"incident_id"`
	GeneratedAt time.Time `json:"generated_at"`
	GeneratedBy string    `json:"generated_by"`
	// BasedOn is the last timeline event (other than drafts) the report was made from, and whether the timeline's
	// hash chain held when it was read.
	BasedOn          TimelinePoint        `json:"based_on"`
	Administrative   EUAdministrative     `json:"administrative"`
	AISystem         EUAISystem           `json:"ai_system"`
	Incident         EUIncident           `json:"incident"`
	ProviderAnalysis EUProviderAnalysis   `json:"provider_analysis"`
	GeneralComments  Value                `json:"general_comments"`
	Evidence         []EvidenceCitation   `json:"evidence"`
	ToFill           []string             `json:"to_fill"` // the paths of every field marked to fill, in order
	Deadline         *incident.Clock      `json:"deadline"`
	Alerts           []AlertCitation      `json:"alerts"`
	Containment      []ContainmentSummary `json:"containment"`

	incidentTitle string // for the top of the PDF's pages; the JSON has it in incident.description
}

// TimelinePoint names an event of the timeline by seq and hash.
type TimelinePoint struct {
	Seq            uint32 `json:"seq"`
	Hash           string `json:"hash"`
	TimelineIntact bool   `json:"timeline_intact"`
}

// EUAdministrative is section 1: administrative information.
type EUAdministrative struct {
	Authority              Value `json:"authority"`
	AuthorityReference     Value `json:"authority_reference"`
	ReportDate             Value `json:"report_date"`
	ReportType             Value `json:"report_type"`
	IncidentClassification Value `json:"incident_classification"`
	SubmitterRole          Value `json:"submitter_role"`
	SubmitterContact       Value `json:"submitter_contact"`
	OtherRegimes           Value `json:"other_regimes"`
}

// EUAISystem is section 2: the AI system.
type EUAISystem struct {
	Name           Value `json:"name"`
	Provider       Value `json:"provider"`
	RegistrationID Value `json:"registration_id"`
	Version        Value `json:"version"`
	Model          Value `json:"model"`
}

// EUIncident is section 3: the incident.
type EUIncident struct {
	Description     Value `json:"description"`
	Effects         Value `json:"effects"`
	CausalLink      Value `json:"causal_link"`
	StartedAt       Value `json:"started_at"`
	DetectedAt      Value `json:"detected_at"`
	AwareAt         Value `json:"aware_at"`
	ContainedAt     Value `json:"contained_at"`
	ResolvedAt      Value `json:"resolved_at"`
	UsersAffected   Value `json:"users_affected"`
	MemberStates    Value `json:"member_states"`
	RemedialActions Value `json:"remedial_actions"`
}

// EUProviderAnalysis is section 4: the provider's analysis.
type EUProviderAnalysis struct {
	PreliminaryResults Value `json:"preliminary_results"`
	RootCause          Value `json:"root_cause"`
	CorrectiveActions  Value `json:"corrective_actions"`
	RiskAssessment     Value `json:"risk_assessment"`
}

// EvidenceCitation cites a preserved evidence snapshot: its id, the timeline event that recorded its SHA-256, and
// whether the stored bytes still hash to it.
type EvidenceCitation struct {
	SnapshotID  string `json:"snapshot_id"`
	TimelineSeq uint32 `json:"timeline_seq"`
	SHA256      string `json:"sha256"`
	Verified    bool   `json:"verified"`
}

// AlertCitation is one alert rule that fired, with the labels that name the model.
type AlertCitation struct {
	Name     string            `json:"alertname"`
	FirstAt  time.Time         `json:"first_at"`
	Episodes int               `json:"episodes"`
	Labels   map[string]string `json:"labels,omitempty"` // model_version, model, version of its first episode
}

// ContainmentSummary is one containment request and how it ended.
type ContainmentSummary struct {
	Action      string    `json:"action"`
	Kind        string    `json:"kind"`
	RequestedBy string    `json:"requested_by"`
	RequestedAt time.Time `json:"requested_at"`
	State       string    `json:"state"`
	FinishedAt  time.Time `json:"finished_at,omitzero"`
}

// EUAIActInput is what the draft is made from.
type EUAIActInput struct {
	Type        string // one of incident.ReportTypes
	Incident    *incident.Incident
	Events      []incident.Event // the whole timeline
	System      AISystemFacts
	Evidence    []EvidenceCheck
	GeneratedAt time.Time
	GeneratedBy string
}

// modelLabels are the alert labels that name the model and its version.
var modelLabels = []string{"model_version", "version", "model"}

// ErrNotFlagged is BuildEUAIAct's error for an incident without the EU AI Act flag.
var ErrNotFlagged = fmt.Errorf("not flagged under the EU AI Act")

// BuildEUAIAct drafts the report. Its error is for an unknown type or an incident without the EU AI Act flag
// (ErrNotFlagged).
func BuildEUAIAct(in EUAIActInput) (*EUAIAct, error) {
	if !slices.Contains(incident.ReportTypes, in.Type) {
		return nil, fmt.Errorf("type: %q is not one of %s", incident.Truncate(in.Type, 50), strings.Join(incident.ReportTypes, ", "))
	}
	inc := in.Incident
	clock := inc.Clock(incident.EUAIAct)
	if clock == nil {
		return nil, ErrNotFlagged
	}
	r := &EUAIAct{Schema: EUAIActSchema, Template: EUAIActTemplate, Draft: true, ReportType: in.Type, IncidentID: inc.ID,
		GeneratedAt: in.GeneratedAt.UTC(), GeneratedBy: in.GeneratedBy, Deadline: clock, Evidence: []EvidenceCitation{},
		Alerts: alertCitations(in.Events), Containment: []ContainmentSummary{}, incidentTitle: inc.Title}
	r.BasedOn = basedOn(in.Events)
	final := in.Type == "final" || in.Type == "combined"
	sys := in.System
	review := inc.Review
	if review == nil {
		review = &incident.Review{}
	}

	// 1. Administrative information.
	a := &r.Administrative
	a.Authority = fromOr(sys.Authority, "settings: jsonData.aiSystems."+inc.AISystem+".authority",
		lastReport(clock, func(rep incident.RegulatoryReportBody) string { return rep.Authority }), "the report log",
		"the market surveillance authority of the Member State where the incident occurred")
	if in.Type == "initial" || in.Type == "combined" {
		a.AuthorityReference = Value{Value: "none yet (first report)", Source: "the report type"}
	} else {
		a.AuthorityReference = fromOr(lastReport(clock, func(rep incident.RegulatoryReportBody) string { return rep.Reference }), "the report log",
			"", "", "the reference the authority gave the initial report")
	}
	a.ReportDate = Value{Value: r.GeneratedAt.Format(time.DateOnly), ToFill: true, Hint: "the date the report is sent", Source: "the day it was drafted"}
	a.ReportType = Value{Value: map[string]string{"initial": "initial report", "follow_up": "follow-up report",
		"combined": "combined initial and final report", "final": "final report"}[in.Type], Source: "the type asked for"}
	a.IncidentClassification = confirmClassification(inc, classification(clock, inc.Taxonomy))
	a.SubmitterRole = fromOr(sys.SubmitterRole, "settings: jsonData.aiSystems."+inc.AISystem+".submitterRole", "", "",
		"provider, deployer or authorised representative")
	a.SubmitterContact = fromOr(sys.Contact, "settings: jsonData.aiSystems."+inc.AISystem+".contact", "", "",
		"name, email and phone of the person the authority contacts")
	if sys.Contact == "" && inc.Roles[incident.RoleLegalCompliance] != "" {
		a.SubmitterContact = Value{Value: inc.Roles[incident.RoleLegalCompliance], ToFill: true, Source: "the incident's legal_compliance role",
			Hint: "add email and phone"}
	}
	a.OtherRegimes = otherRegimes(inc)

	// 2. The AI system.
	s := &r.AISystem
	s.Name = Value{Value: inc.AISystem, Source: "the incident's ai_system"}
	if sys.Name != "" {
		s.Name = Value{Value: sys.Name, Source: "settings: jsonData.aiSystems." + inc.AISystem + ".name"}
	}
	s.Provider = fromOr(sys.Provider, "settings: jsonData.aiSystems."+inc.AISystem+".provider", "", "", "the provider's name and address")
	s.RegistrationID = fromOr(sys.RegistrationID, "settings: jsonData.aiSystems."+inc.AISystem+".registrationId", "", "",
		"the AI system's registration number in the EU database (Art. 71)")
	s.Version = fromOr(labelValues(r.Alerts, "model_version", "version"), "the alerts' model_version / version labels", "", "",
		"the version of the AI system in use when the incident happened")
	s.Model = fromOr(labelValues(r.Alerts, "model"), "the alerts' model label", "", "", "the general-purpose AI model it is built on, if any")

	// 3. The incident.
	i := &r.Incident
	desc := inc.Title
	if strings.TrimSpace(inc.Description) != "" {
		desc += ". " + inc.Description
	}
	i.Description = Value{Value: desc + " (Firebreak category: " + string(inc.Category) + ", " + inc.Severity.String() + ")",
		ToFill: true, Hint: "describe what went wrong in terms the authority understands", Source: "the incident's title, description and category"}
	i.Effects = fromOr(review.Impact, "the review's impact", "", "", "the harm that occurred or may occur")
	i.CausalLink = Value{Value: alertsSentence(r.Alerts), ToFill: true, Source: "the alerts that fired",
		Hint: "how the AI system's output or behaviour led to the harm"}
	i.StartedAt = timeFrom(review.StartedAt, "the review's started_at", inc.StartedAt, "the incident's start (its first alert)", "when the incident started")
	i.DetectedAt = timeFrom(review.DetectedAt, "the review's detected_at", inc.DeclaredAt, "the incident's declaration", "when it was detected")
	i.AwareAt = Value{Value: ts(clock.AwareAt), Source: "the EU AI Act flag (aware_at)"}
	i.ContainedAt = timeFrom(review.ContainedAt, "the review's contained_at", inc.ContainedAt, "the timeline (contained)", "not contained yet: when it was")
	i.ResolvedAt = timeFrom(inc.ResolvedAt, "the timeline (resolved)", time.Time{}, "", "not resolved yet")
	if !final && inc.ResolvedAt.IsZero() {
		i.ResolvedAt = Value{Value: "not resolved yet", Source: "the timeline"}
	}
	i.UsersAffected = fromOr(review.Affected, "the review's affected", "", "", "how many people were affected, and who")
	i.UsersAffected.ToFill = true
	if i.UsersAffected.Hint == "" {
		i.UsersAffected.Hint = "confirm the number of people affected"
	}
	if t := inc.Taxonomy; t != nil && t.PeopleAffected != nil {
		i.UsersAffected = confirmClassification(inc, Value{Value: strings.TrimSpace(fmt.Sprintf("%d people. %s", *t.PeopleAffected, review.Affected)),
			Source: "the incident's classification (people_affected)" + map[bool]string{true: " and the review's affected", false: ""}[review.Affected != ""]})
	}
	i.MemberStates = Value{ToFill: true, Hint: "the Member States where the incident occurred or had effects"}
	var actions []string
	for _, req := range inc.Containment {
		r.Containment = append(r.Containment, containmentSummary(req))
		actions = append(actions, fmt.Sprintf("%s (%s), requested by %s at %s: %s", req.Label, req.ActionKind, req.RequestedBy, ts(req.RequestedAt), containmentEnd(req)))
	}
	i.RemedialActions = fromOr(strings.Join(actions, "; "), "the containment log", "", "", "the immediate measures taken")

	// 4. The provider's analysis.
	p := &r.ProviderAnalysis
	rootCause := ""
	if review.RootCause != "" {
		rootCause = review.RootCause
		if review.RootCauseClass != "" {
			rootCause += " (" + review.RootCauseClass + ")"
		}
	}
	later := ""
	if !final {
		later = "; may follow in a later report"
	}
	p.RootCause = fromOr(rootCause, "the review's root cause", "", "", "the root cause"+later)
	p.PreliminaryResults = Value{Value: rootCause, ToFill: true, Source: sourceIf(rootCause, "the review's root cause"),
		Hint: "what the investigation found so far" + later}
	p.CorrectiveActions = fromOr(actionItems(review), "the review's action items", "", "", "the corrective actions taken or planned"+later)
	p.RiskAssessment = Value{ToFill: true, Hint: "whether the AI system's risk assessment still holds, and what changes"}

	// 5. General comments.
	r.GeneralComments = Value{ToFill: true, Hint: "anything else the authority should know (optional)"}

	for _, e := range in.Evidence {
		r.Evidence = append(r.Evidence, EvidenceCitation{SnapshotID: e.SnapshotID, TimelineSeq: e.TimelineSeq, SHA256: e.TimelineSHA256, Verified: e.Verified})
	}
	r.ToFill = toFill(r)
	return r, nil
}

// fromOr is the first of the values that is set, with its source, or a field to fill with the hint.
func fromOr(v, source, alt, altSource, hint string) Value {
	switch {
	case strings.TrimSpace(v) != "":
		return Value{Value: v, Source: source}
	case strings.TrimSpace(alt) != "":
		return Value{Value: alt, Source: altSource}
	}
	return Value{ToFill: true, Hint: hint}
}

func sourceIf(v, source string) string {
	if v == "" {
		return ""
	}
	return source
}

func timeFrom(t time.Time, source string, alt time.Time, altSource, hint string) Value {
	switch {
	case !t.IsZero():
		return Value{Value: ts(t), Source: source}
	case !alt.IsZero():
		return Value{Value: ts(alt), Source: altSource}
	}
	return Value{ToFill: true, Hint: hint}
}

func lastReport(c *incident.Clock, field func(incident.RegulatoryReportBody) string) string {
	for i := len(c.Reports) - 1; i >= 0; i-- {
		if v := field(c.Reports[i]); v != "" {
			return v
		}
	}
	return ""
}

// confirmClassification marks a value taken from the incident's classification for a person to confirm when no
// person made that classification: an alert's labels and a category's defaults are a rule's guess, not a finding to
// send an authority.
func confirmClassification(inc *incident.Incident, v Value) Value {
	if inc.Taxonomy == nil || inc.ClassifiedByPerson() || v.Source == "" || !strings.Contains(v.Source, "classification") {
		return v
	}
	v.ToFill = true
	v.Hint = ClassifiedBy(inc) + ", not by a person: confirm it" + map[bool]string{true: "; " + v.Hint, false: ""}[v.Hint != ""]
	return v
}

// ClassifiedBy says who last set the incident's classification, for people: "classified by alert rule X",
// "classified by Firebreak from the category's defaults", "classified by alice".
func ClassifiedBy(inc *incident.Incident) string {
	switch by := inc.TaxonomyBy; {
	case incident.IsRuleActor(by):
		return "classified by alert rule " + strings.TrimPrefix(by, "rule:")
	case by == incident.SystemActor:
		return "classified by Firebreak from the category's defaults"
	case inc.Taxonomy == nil:
		return "not classified"
	case by == "":
		return "classified by someone not recorded"
	default:
		return "classified by " + strings.TrimPrefix(by, "user:")
	}
}

// harmClasses describe the incident's harm classification (Taxonomy.Harm) as Art. 3(49) does.
var harmClasses = map[string]string{
	"death":                   "death of a person (Art. 3(49)(a))",
	"health":                  "serious harm to a person's health (Art. 3(49)(a))",
	"critical_infrastructure": "serious and irreversible disruption of the management or operation of critical infrastructure (Art. 3(49)(b))",
	"fundamental_rights":      "infringement of obligations under Union law intended to protect fundamental rights (Art. 3(49)(c))",
	"property_environment":    "serious harm to property or the environment (Art. 3(49)(d))",
}

// classification is the Art. 3(49) class of the incident: from its harm classification when it has one, else what
// the flag's tier implies (a standard tier does not say which). A harm that asks for a shorter clock than the
// tier's is marked for a person to check.
func classification(c *incident.Clock, t *incident.Taxonomy) Value {
	if t != nil && harmClasses[t.Harm] != "" {
		v := Value{Value: harmClasses[t.Harm], Source: "the incident's harm classification"}
		if (t.Harm == "death" && c.Tier != incident.TierDeath) || (t.Harm == "critical_infrastructure" && c.Tier != incident.TierWidespread) {
			v.ToFill, v.Hint = true, "the EU AI Act flag's tier ("+c.Tier+") does not match this harm, whose report is due sooner: check the tier"
		}
		return v
	}
	switch c.Tier {
	case incident.TierDeath:
		return Value{Value: "death of a person (Art. 3(49)(a); report within 10 days, Art. 73(4))", Source: "the EU AI Act flag's tier"}
	case incident.TierWidespread:
		return Value{Value: "widespread infringement, or serious and irreversible disruption of critical infrastructure (Art. 3(49)(b); report within 2 days, Art. 73(3))",
			Source: "the EU AI Act flag's tier"}
	}
	return Value{ToFill: true, Hint: "which serious incident (Art. 3(49)): (a) serious harm to a person's health, (c) infringement of obligations " +
		"protecting fundamental rights, (d) serious harm to property or the environment"}
}

func otherRegimes(inc *incident.Incident) Value {
	var parts []string
	for _, c := range inc.Regulatory {
		if c.Regime == incident.EUAIAct {
			continue
		}
		part := string(c.Regime) + ": flagged, due " + ts(c.DueAt)
		for _, rep := range c.Reports {
			part += fmt.Sprintf("; %s report sent to %s at %s", rep.Report, rep.Authority, ts(rep.SentAt))
		}
		parts = append(parts, part)
	}
	v := Value{Value: strings.Join(parts, ". "), ToFill: true,
		Hint: "other regimes the incident was or will be reported under that Firebreak does not track (NIS2, DORA, sectoral)"}
	if v.Value != "" {
		v.Source = "the incident's regulatory flags"
	}
	return v
}

// alertCitations lists the alert rules that fired, first firing first, with the model labels of their first episode.
func alertCitations(events []incident.Event) []AlertCitation {
	out := []AlertCitation{}
	at := map[string]int{}
	for _, e := range events {
		if e.Kind != incident.KindAlertFired {
			continue
		}
		var b incident.AlertBody
		if json.Unmarshal(e.Body, &b) != nil {
			continue
		}
		if i, ok := at[b.Alert.Name]; ok {
			out[i].Episodes++
			continue
		}
		c := AlertCitation{Name: b.Alert.Name, FirstAt: b.Alert.StartsAt.UTC(), Episodes: 1}
		for _, l := range modelLabels {
			if v := b.Alert.Labels[l]; v != "" {
				if c.Labels == nil {
					c.Labels = map[string]string{}
				}
				c.Labels[l] = v
			}
		}
		at[b.Alert.Name] = len(out)
		out = append(out, c)
	}
	return out
}

// labelValues joins the distinct values of the first of the labels any alert has.
func labelValues(alerts []AlertCitation, labels ...string) string {
	for _, l := range labels {
		var vals []string
		for _, a := range alerts {
			if v := a.Labels[l]; v != "" && !slices.Contains(vals, v) {
				vals = append(vals, v)
			}
		}
		if len(vals) > 0 {
			return strings.Join(vals, ", ")
		}
	}
	return ""
}

func alertsSentence(alerts []AlertCitation) string {
	var parts []string
	for _, a := range alerts {
		p := fmt.Sprintf("%s fired from %s", a.Name, ts(a.FirstAt))
		if len(a.Labels) > 0 {
			var ls []string
			for _, k := range sortedKeys(a.Labels) {
				ls = append(ls, k+"="+a.Labels[k])
			}
			p += " (" + strings.Join(ls, ", ") + ")"
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return ""
	}
	return "Monitoring alerts: " + strings.Join(parts, "; ")
}

func containmentSummary(req *incident.ContainmentRequest) ContainmentSummary {
	c := ContainmentSummary{Action: req.Label, Kind: req.ActionKind, RequestedBy: req.RequestedBy, RequestedAt: req.RequestedAt.UTC(), State: string(req.State)}
	if last := req.LastAttempt(); last != nil {
		c.FinishedAt = last.FinishedAt.UTC()
	}
	return c
}

func containmentEnd(req *incident.ContainmentRequest) string {
	last := req.LastAttempt()
	switch {
	case last == nil:
		return string(req.State)
	case last.DryRun:
		return string(req.State) + " (dry run, a drill)"
	case last.FinishedAt.IsZero():
		return string(req.State)
	}
	return string(req.State) + " at " + ts(last.FinishedAt)
}

func actionItems(r *incident.Review) string {
	if r.ActionItemsNone {
		return "none (said explicitly in the review)"
	}
	var parts []string
	for _, it := range r.ActionItems {
		parts = append(parts, fmt.Sprintf("%s (owner %s, due %s, %s)", it.Text, orNone(it.Owner), orNone(it.Due), it.Status))
	}
	return strings.Join(parts, "; ")
}

// basedOn is the last event that is not a draft: drafting again (a retry) is drafting from the same point.
func basedOn(events []incident.Event) TimelinePoint {
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Kind != incident.KindReportDrafted {
			return TimelinePoint{Seq: events[i].Seq, Hash: events[i].Hash, TimelineIntact: incident.VerifyChain(events) == nil}
		}
	}
	return TimelinePoint{}
}

// fields lists the report's fields by JSON path, in the template's order.
func (r *EUAIAct) fields() []struct {
	path, label string
	v           *Value
} {
	type f = struct {
		path, label string
		v           *Value
	}
	a, s, i, p := &r.Administrative, &r.AISystem, &r.Incident, &r.ProviderAnalysis
	return []f{
		{"administrative.authority", "Authority", &a.Authority},
		{"administrative.authority_reference", "Authority's reference", &a.AuthorityReference},
		{"administrative.report_date", "Report date", &a.ReportDate},
		{"administrative.report_type", "Report type", &a.ReportType},
		{"administrative.incident_classification", "Incident classification", &a.IncidentClassification},
		{"administrative.submitter_role", "Submitter's role", &a.SubmitterRole},
		{"administrative.submitter_contact", "Submitter's contact", &a.SubmitterContact},
		{"administrative.other_regimes", "Other regimes reported to", &a.OtherRegimes},
		{"ai_system.name", "Name", &s.Name},
		{"ai_system.provider", "Provider", &s.Provider},
		{"ai_system.registration_id", "EU database registration id", &s.RegistrationID},
		{"ai_system.version", "Version", &s.Version},
		{"ai_system.model", "Model", &s.Model},
		{"incident.description", "What went wrong", &i.Description},
		{"incident.effects", "Effects", &i.Effects},
		{"incident.causal_link", "Causal link with the AI system", &i.CausalLink},
		{"incident.started_at", "Started", &i.StartedAt},
		{"incident.detected_at", "Detected", &i.DetectedAt},
		{"incident.aware_at", "Became aware (the clock's start)", &i.AwareAt},
		{"incident.contained_at", "Contained", &i.ContainedAt},
		{"incident.resolved_at", "Resolved", &i.ResolvedAt},
		{"incident.users_affected", "People affected", &i.UsersAffected},
		{"incident.member_states", "Member States concerned", &i.MemberStates},
		{"incident.remedial_actions", "Remedial actions taken", &i.RemedialActions},
		{"provider_analysis.preliminary_results", "Preliminary results", &p.PreliminaryResults},
		{"provider_analysis.root_cause", "Root cause", &p.RootCause},
		{"provider_analysis.corrective_actions", "Corrective actions", &p.CorrectiveActions},
		{"provider_analysis.risk_assessment", "Does the risk assessment still hold", &p.RiskAssessment},
		{"general_comments", "General comments", &r.GeneralComments},
	}
}

func toFill(r *EUAIAct) []string {
	out := []string{}
	for _, f := range r.fields() {
		if f.v.ToFill {
			out = append(out, f.path)
		}
	}
	return out
}

// ContentSHA256 identifies what the report says: the SHA-256 of its JSON without when and by whom it was made, so the
// same draft made again (a retry) has the same hash.
func (r *EUAIAct) ContentSHA256() string {
	c := *r
	c.GeneratedAt, c.GeneratedBy = time.Time{}, ""
	c.Administrative.ReportDate = Value{}
	b, err := json.Marshal(&c)
	if err != nil {
		panic(fmt.Sprintf("report: marshal the EU AI Act report: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Write writes r in the format.
func (r *EUAIAct) Write(w io.Writer, f Format) error {
	if f != JSON {
		return r.Document().Write(w, f)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Document is the readable form of the draft, in the template's sections.
func (r *EUAIAct) Document() *Document {
	d := &Document{Title: "EU AI Act serious incident report (" + r.Administrative.ReportType.Value + "): DRAFT",
		Subject: subject(r.IncidentID, r.incidentTitle), At: r.GeneratedAt, Lines: []string{
			"Incident " + r.IncidentID,
			"Drafted " + ts(r.GeneratedAt) + " by " + r.GeneratedBy + " from Firebreak's timeline up to event " +
				fmt.Sprint(r.BasedOn.Seq) + " (hash " + r.BasedOn.Hash + ")",
			"Follows the " + r.Template + ". Fields marked [TO FILL] need a person; check every pre-filled value before sending.",
			"Report due " + ts(r.Deadline.DueAt) + " (aware " + ts(r.Deadline.AwareAt) + ")",
		}}
	headings := map[string]string{"administrative": "1. Administrative information", "ai_system": "2. The AI system",
		"incident": "3. The incident", "provider_analysis": "4. The provider's analysis", "general_comments": "5. General comments"}
	var cur *Section
	for _, f := range r.fields() {
		part, _, _ := strings.Cut(f.path, ".")
		if cur == nil || cur.Heading != headings[part] {
			d.Sections = append(d.Sections, Section{Heading: headings[part]})
			cur = &d.Sections[len(d.Sections)-1]
		}
		cur.Fields = append(cur.Fields, Field{Label: f.label, Value: f.v.Value, ToFill: f.v.ToFill, Hint: f.v.Hint, Source: f.v.Source})
	}
	alerts := Table{Caption: "Alerts that fired", Columns: []string{"Alert", "First firing", "Episodes", "Model labels"}}
	for _, a := range r.Alerts {
		var ls []string
		for _, k := range sortedKeys(a.Labels) {
			ls = append(ls, k+"="+a.Labels[k])
		}
		alerts.Rows = append(alerts.Rows, []string{a.Name, ts(a.FirstAt), fmt.Sprint(a.Episodes), strings.Join(ls, ", ")})
	}
	evidence := Table{Caption: "Preserved evidence (SHA-256 recorded on the hash-chained timeline)", Columns: []string{"Snapshot", "Timeline event", "SHA-256", "Stored bytes still match"},
		Mono: []string{"SHA-256"}}
	for _, e := range r.Evidence {
		evidence.Rows = append(evidence.Rows, []string{e.SnapshotID, fmt.Sprint(e.TimelineSeq), e.SHA256, yesNo(e.Verified)})
	}
	d.Sections = append(d.Sections, Section{Heading: "Annex: what the pre-filled values rest on", Fields: []Field{
		{Label: "Timeline intact", Value: yesNo(r.BasedOn.TimelineIntact)},
		{Label: "Fields to fill", Value: fmt.Sprint(len(r.ToFill))},
	}, Tables: []Table{alerts, evidence}})
	return d
}
