package testenv

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildMu    sync.Mutex
	buildDir   string
	builtPaths = map[string]string{}
)

// GoBuild builds a main package of this module (e.g. "receiver", "demo") once per test binary and returns the
// path of the binary. Tests run the real binaries this way, as users do.
func GoBuild(t testing.TB, pkg string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := builtPaths[pkg]; ok {
		return p
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	if buildDir == "" {
		if buildDir, err = os.MkdirTemp("", "firebreak-bin-"); err != nil {
			t.Fatalf("testenv: %v", err)
		}
		registerSharedCleanup(func() { os.RemoveAll(buildDir) })
	}
	out := filepath.Join(buildDir, strings.ReplaceAll(pkg, "/", "-"))
	cmd := exec.Command("go", "build", "-o", out, "./"+pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testenv: go build ./%s: %v\n%s", pkg, err, b)
	}
	builtPaths[pkg] = out
	return out
}

func moduleRoot() (string, error) {
	b, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(b))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the Go module")
	}
	return filepath.Dir(mod), nil
}

// Binary describes a program of ours to run for a test.
type Binary struct {
	Name     string   // for logs and errors
	Path     string   // from GoBuild
	Args     []string // command line
	Env      []string // extra environment, KEY=value
	ReadyURL string   // polled until it answers 200
}

// Process is a running Binary.
type Process struct {
	t    testing.TB
	proc *process
}

// StartBinary starts b in a directory of its own and waits until ReadyURL answers 200. It is stopped when the
// test ends.
func StartBinary(t testing.TB, b Binary) *Process {
	t.Helper()
	dir := t.TempDir()
	p := &process{
		name: b.Name, bin: b.Path, args: b.Args, dir: dir, env: b.Env,
		logPath: filepath.Join(dir, b.Name+".log"),
		ready: func() (bool, string) {
			resp, err := http.Get(b.ReadyURL)
			if err != nil {
				return false, err.Error()
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK, resp.Status
		},
	}
	if err := p.start(); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() { _ = p.stop() })
	return &Process{t: t, proc: p}
}

// Stop stops the process (SIGTERM, then SIGKILL) and waits for it.
func (p *Process) Stop() {
	if err := p.proc.stop(); err != nil {
		p.t.Fatalf("testenv: stop %s: %v", p.proc.name, err)
	}
}

// Start starts a stopped process again with the same arguments.
func (p *Process) Start() {
	if err := p.proc.start(); err != nil {
		p.t.Fatalf("testenv: %v", err)
	}
}

// Pid is the process id, 0 when stopped.
func (p *Process) Pid() int {
	p.proc.mu.Lock()
	defer p.proc.mu.Unlock()
	if p.proc.cmd == nil || p.proc.cmd.Process == nil {
		return 0
	}
	return p.proc.cmd.Process.Pid
}

// Log returns what the process wrote to stdout and stderr so far.
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.proc.logPath)
	return string(b)
}
