package webhook

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEscalations(t *testing.T) {
	esc := Alert{Labels: map[string]string{"alertname": "FirebreakIncidentNotAcknowledged", "firebreak": "escalation"}}
	ai := Alert{Labels: map[string]string{"alertname": "AIHallucinationRateHigh"}}
	other := Alert{Labels: map[string]string{"alertname": "X", "firebreak": "receiver"}}
	for _, tc := range []struct {
		name   string
		alerts []Alert
		all    bool
		field  string
	}{
		{"AI alerts", []Alert{ai, ai}, false, ""},
		{"another value of the label", []Alert{other}, false, ""},
		{"only escalations", []Alert{esc, esc}, true, ""},
		{"mixed: the first escalation is named", []Alert{ai, esc, esc}, false, "alerts[1].labels.firebreak"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			all, err := (&Notification{Alerts: tc.alerts}).Escalations()
			assert.Equal(t, tc.all, all)
			if tc.field == "" {
				assert.Nil(t, err)
				return
			}
			if assert.NotNil(t, err) {
				assert.Equal(t, tc.field, err.Field)
				assert.Contains(t, err.Problem, "2 of 3")
			}
		})
	}
}
