package deploy

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func readRepoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Prometheus and Alertmanager put their external URL into alert links (generatorURL, externalURL); by default it
// names the machine's host name, which the stack does not listen on. The stack gives them the addresses the README
// tells people to open.
func TestStackExternalURLsAreTheREADMEs(t *testing.T) {
	stack, readme := readRepoFile(t, "scripts/stack"), readRepoFile(t, "README.md")
	for _, c := range []struct{ name, binary, portVar, defaultPort string }{
		{"Prometheus", "prometheus", "prom_port", "9090"},
		{"Alertmanager", "prometheus-alertmanager", "am_port", "9093"},
	} {
		if !regexp.MustCompile(`(?m)^` + c.portVar + `=\$\{FIREBREAK_STACK_\w+_PORT:-` + c.defaultPort + `\}$`).MatchString(stack) {
			t.Errorf("scripts/stack: %s's port does not default to %s", c.name, c.defaultPort)
		}
		// The command that starts it, continuation lines included.
		cmd := regexp.MustCompile(`(?s)start \w+ "[^"]*" ` + regexp.QuoteMeta(c.binary) + ` \\\n(.*?[^\\])\n`).FindStringSubmatch(stack)
		if cmd == nil {
			t.Fatalf("scripts/stack: no command starting %s", c.binary)
		}
		if want := `--web.external-url="http://127.0.0.1:$` + c.portVar + `"`; !strings.Contains(cmd[1], want) {
			t.Errorf("scripts/stack starts %s without %s:\n%s", c.name, want, cmd[1])
		}
		if want := "| " + c.name + " | `http://127.0.0.1:" + c.defaultPort + "` |"; !strings.Contains(readme, want) {
			t.Errorf("README.md's table of the stack lacks %q", want)
		}
	}
}

// After the containment walk-through the demo runs model v1 with nothing to roll back to (the readiness check's dry
// run of the rollback gets 409, as the README says); `./scripts/stack reset` puts it back as it started. Its output,
// going to a pipe here, is plain text.
func TestStackResetPutsTheDemoBack(t *testing.T) {
	dir := t.TempDir()
	const secret = "stack-reset-test-secret"
	secretFile := filepath.Join(dir, "containment-secret")
	if err := os.WriteFile(secretFile, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	port := testenv.FreePort(t)
	demo := fmt.Sprintf("http://127.0.0.1:%d", port)
	testenv.StartBinary(t, testenv.Binary{Name: "demo", Path: testenv.GoBuild(t, "demo"),
		Args:     []string{"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--containment-secret-file", secretFile},
		ReadyURL: demo + "/-/healthy"})
	do := func(method, path string, signed bool) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, demo+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if signed {
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			mac := hmac.New(sha256.New, []byte(secret))
			fmt.Fprintf(mac, "%s.%s %s\n", ts, method, path)
			req.Header.Set("X-Firebreak-Timestamp", ts)
			req.Header.Set("X-Firebreak-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status := func() (model string, faults int) {
		t.Helper()
		_, body := do(http.MethodGet, "/status", false)
		var st struct {
			ModelVersion string            `json:"model_version"`
			ActiveFaults []json.RawMessage `json:"active_faults"`
		}
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatalf("GET /status: %v: %s", err, body)
		}
		return st.ModelVersion, len(st.ActiveFaults)
	}

	// The walk-through: a fault, then the rollback.
	if code, body := do(http.MethodPost, "/faults/hallucination", false); code != 200 {
		t.Fatalf("inject a fault: %d %s", code, body)
	}
	if code, body := do(http.MethodPost, "/containment/rollback", true); code != 200 {
		t.Fatalf("rollback: %d %s", code, body)
	}
	if code, body := do(http.MethodPost, "/containment/dry-run/rollback", true); code != http.StatusConflict ||
		!strings.Contains(body, "no previous model version to roll back to (active: v1)") {
		t.Fatalf("the readiness check's dry run after the rollback: %d %s, want 409 nothing to roll back to", code, body)
	}
	if model, faults := status(); model != "v1" || faults != 1 {
		t.Fatalf("after the walk-through: model %s, %d faults", model, faults)
	}

	cmd := exec.Command(filepath.Join(repoRoot, "scripts/stack"), "reset")
	cmd.Env = append(os.Environ(), "FIREBREAK_STACK_DIR="+dir, fmt.Sprintf("FIREBREAK_STACK_DEMO_PORT=%d", port), "NO_COLOR=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("./scripts/stack reset: %v\n%s", err, out.String())
	}
	if bytes.ContainsRune(out.Bytes(), 0x1b) {
		t.Errorf("./scripts/stack reset wrote ANSI escapes to a pipe:\n%q", out.String())
	}
	if !strings.Contains(out.String(), "==> restoring the demo's containment defaults\n") {
		t.Errorf("./scripts/stack reset said:\n%s", out.String())
	}
	if model, faults := status(); model != "v2" || faults != 0 {
		t.Errorf("after ./scripts/stack reset: model %s, %d faults; want v2 and none", model, faults)
	}
	if code, body := do(http.MethodPost, "/containment/dry-run/rollback", true); code != 200 {
		t.Errorf("after ./scripts/stack reset the rollback's dry run answers %d %s, want 200", code, body)
	}

	// Without a running demo it says what to do.
	cmd = exec.Command(filepath.Join(repoRoot, "scripts/stack"), "reset")
	cmd.Env = append(os.Environ(), "FIREBREAK_STACK_DIR="+dir, fmt.Sprintf("FIREBREAK_STACK_DEMO_PORT=%d", testenv.FreePort(t)))
	b, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(b), "start the stack first") {
		t.Errorf("./scripts/stack reset without a stack: %v\n%s", err, b)
	}
}
