package main

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

const (
	rulePackPath  = "../rules/ai-incidents.rules.yml"
	ruleTestsPath = "../rules/ai-incidents.rules.test.yml"
	runbookBase   = "https://github.com/firebreak-dev/firebreak/blob/main/docs/runbooks.md#"

	escalationRulesPath = "../rules/escalation.rules.yml"
	escalationTestsPath = "../rules/escalation.rules.test.yml"
)

// The categories of the playbook and the severity the rule pack gives each.
var wantSeverity = map[string]string{
	"hallucination":     "critical",
	"bias":              "critical",
	"prompt_injection":  "critical",
	"drift":             "warning",
	"unauthorized_use":  "warning",
	"data_exposure":     "critical",
	"oversight_failure": "warning",
	"other":             "info",
}

type promRule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type promRuleFile struct {
	Groups []struct {
		Name  string     `yaml:"name"`
		Rules []promRule `yaml:"rules"`
	} `yaml:"groups"`
}

// requireBinary returns the path of a binary the test needs, or fails the test.
func requireBinary(t *testing.T, name string) string {
	t.Helper()
	if p := "/usr/bin/" + name; fileExists(p) {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Fatalf("this test needs the %s binary, found neither /usr/bin/%s nor %s on PATH; "+
		"install it (Debian: apt-get install prometheus)", name, name, name)
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// loadRules parses the rule pack and returns its alerting rules by category.
func loadRules(t *testing.T) map[string]promRule {
	t.Helper()
	data, err := os.ReadFile(rulePackPath)
	require.NoError(t, err)
	var f promRuleFile
	require.NoError(t, yaml.Unmarshal(data, &f))
	byCategory := map[string]promRule{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			require.NotEmpty(t, r.Alert, "group %s: only alerting rules expected, got %+v", g.Name, r)
			cat := r.Labels["category"]
			_, dup := byCategory[cat]
			require.False(t, dup, "two rules for category %q", cat)
			byCategory[cat] = r
		}
	}
	return byCategory
}

func TestRulePackPromtoolCheck(t *testing.T) {
	promtool := requireBinary(t, "promtool")
	out, err := exec.Command(promtool, "check", "rules", rulePackPath).CombinedOutput()
	require.NoError(t, err, "promtool check rules %s:\n%s", rulePackPath, out)
	assert.Contains(t, string(out), "SUCCESS: 8 rules found")
}

func TestRulePackPromtoolUnitTests(t *testing.T) {
	promtool := requireBinary(t, "promtool")
	cmd := exec.Command(promtool, "test", "rules", filepath.Base(ruleTestsPath))
	cmd.Dir = filepath.Dir(ruleTestsPath)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "promtool test rules %s:\n%s", ruleTestsPath, out)
}

func TestRulePackStructure(t *testing.T) {
	rules := loadRules(t)
	assert.ElementsMatch(t, slices.Collect(maps.Keys(wantSeverity)), slices.Collect(maps.Keys(rules)),
		"exactly one rule per category")
	names := map[string]bool{}
	for cat, r := range rules {
		t.Run(cat, func(t *testing.T) {
			assert.False(t, names[r.Alert], "alert name %s used twice", r.Alert)
			names[r.Alert] = true
			assert.Equal(t, wantSeverity[cat], r.Labels["severity"])
			assert.Equal(t, cat, r.Labels["category"])
			for _, a := range []string{"summary", "description", "runbook_url"} {
				assert.NotEmpty(t, strings.TrimSpace(r.Annotations[a]), "annotation %s", a)
			}
			assert.Contains(t, r.Annotations["description"], "{{ $value")
			assert.Contains(t, r.Annotations["description"], "{{ $labels.ai_system }}")
			assert.Contains(t, r.Annotations["summary"], "{{ $labels.ai_system }}")
			assert.Equal(t, runbookBase+cat, r.Annotations["runbook_url"])

			expr := strings.TrimSpace(r.Expr)
			assert.Contains(t, expr, "by (ai_system, model_version)", "keeps ai_system and model_version")
			thr := strconv.FormatFloat(ruleThresholds[cat], 'g', -1, 64)
			assert.True(t, strings.HasSuffix(expr, "> "+thr), "%s: threshold %s expected at the end of %q", r.Alert, thr, expr)
			if strings.Contains(expr, "/") {
				assert.Contains(t, expr, ") > 0)", "the denominator of a ratio is guarded against 0")
			}
			assert.Contains(t, []string{"0s", "5s"}, r.For, "short for: so that alerts fire within ~10 s in tests")
		})
	}
}

func TestEscalationRulesPromtool(t *testing.T) {
	promtool := requireBinary(t, "promtool")
	out, err := exec.Command(promtool, "check", "rules", escalationRulesPath).CombinedOutput()
	require.NoError(t, err, "promtool check rules %s:\n%s", escalationRulesPath, out)
	assert.Contains(t, string(out), "SUCCESS: 4 rules found")
	cmd := exec.Command(promtool, "test", "rules", filepath.Base(escalationTestsPath))
	cmd.Dir = filepath.Dir(escalationTestsPath)
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "promtool test rules %s:\n%s", escalationTestsPath, out)
}

// Every escalation rule is marked for routing (firebreak="escalation", never back to Firebreak), keeps the incident's
// own severity, says which incident, and links a runbook section that exists.
func TestEscalationRulesStructure(t *testing.T) {
	data, err := os.ReadFile(escalationRulesPath)
	require.NoError(t, err)
	var f promRuleFile
	require.NoError(t, yaml.Unmarshal(data, &f))
	runbooks, err := os.ReadFile("../docs/runbooks.md")
	require.NoError(t, err)
	var names []string
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			names = append(names, r.Alert)
			assert.Equal(t, map[string]string{"firebreak": "escalation"}, r.Labels, r.Alert)
			assert.Contains(t, r.Annotations["description"], "{{ $labels.incident_id }}", r.Alert)
			anchor, ok := strings.CutPrefix(r.Annotations["runbook_url"], runbookBase)
			require.True(t, ok, "%s: runbook_url %q", r.Alert, r.Annotations["runbook_url"])
			assert.Contains(t, string(runbooks), "\n## "+anchor+"\n", "%s: docs/runbooks.md has no section %s", r.Alert, anchor)
		}
	}
	assert.ElementsMatch(t, []string{"FirebreakIncidentNotAcknowledged", "FirebreakContainmentOverdue",
		"FirebreakRegulatoryReportDue", "FirebreakActionItemsOverdue"}, names)
}
