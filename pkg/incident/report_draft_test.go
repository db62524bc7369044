package incident

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Generating a report's draft is an event (report_drafted) on an incident flagged under the regime, by an Editor;
// the same command again adds nothing; the draft changes no state.
func TestReportDraft(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	draft := func(a Actor, mutate func(*ReportDraftBody)) *Command {
		c := cmd(CmdReportDraft, a)
		c.ReportDraft = &ReportDraftBody{Regime: EUAIAct, ReportType: "initial", Schema: "s/v1", SHA256: sum, BasedOnSeq: 2}
		if mutate != nil {
			mutate(c.ReportDraft)
		}
		return c
	}
	inc := handDeclared(t, SEV1)
	err := run(t, inc, draft(alice, nil))
	var inv *ErrInvalid
	require.ErrorAs(t, err, &inv)
	assert.Contains(t, err.Error(), "report_draft.regime: the incident is not flagged under eu_ai_act")

	flag := cmd(CmdRegulatoryFlag, alice)
	flag.RegulatoryFlag = &RegulatoryFlagBody{Regime: EUAIAct, AwareAt: t0}
	require.NoError(t, run(t, inc, flag))

	for _, tt := range []struct {
		name   string
		mutate func(*ReportDraftBody)
		want   string
	}{
		{"type", func(b *ReportDraftBody) { b.ReportType = "preliminary" }, `report_draft.report_type: "preliminary" is not one of initial, follow_up, combined, final`},
		{"regime", func(b *ReportDraftBody) { b.Regime = GDPR }, "report_draft.regime"},
		{"sha", func(b *ReportDraftBody) { b.SHA256 = "x" }, "report_draft.sha256"},
		{"schema", func(b *ReportDraftBody) { b.Schema = "" }, "report_draft.schema: missing"},
	} {
		assert.ErrorContains(t, run(t, inc, draft(alice, tt.mutate)), tt.want, tt.name)
	}
	var forbidden *ErrForbidden
	assert.ErrorAs(t, run(t, inc, draft(vic, nil)), &forbidden, "viewers read only")

	before := inc.Clone()
	c := draft(alice, func(b *ReportDraftBody) { b.ReportType = "follow_up" })
	events, err := Execute(c, inc, t0)
	require.NoError(t, err)
	require.Len(t, events, 1)
	assert.Equal(t, KindReportDrafted, events[0].Kind)
	assert.Equal(t, "EU AI Act follow-up report drafted by alice (sha256 "+sum+")", events[0].Message)
	var body ReportDraftBody
	require.NoError(t, json.Unmarshal(events[0].Body, &body))
	assert.Equal(t, *c.ReportDraft, body)
	assert.Equal(t, before.Regulatory, inc.Regulatory, "a draft is not a report sent")
	events, err = Execute(c, inc, t0)
	require.NoError(t, err)
	assert.Empty(t, events, "the same draft again adds nothing")
}
