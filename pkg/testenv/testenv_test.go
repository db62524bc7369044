package testenv

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func TestFreePort(t *testing.T) {
	t.Parallel()
	a, b := FreePort(t), FreePort(t)
	if a <= 0 || b <= 0 {
		t.Fatalf("FreePort = %d, %d", a, b)
	}
}

func TestWaitFor(t *testing.T) {
	t.Parallel()
	n := 0
	WaitFor(t, time.Second, time.Millisecond, func() (bool, string) {
		n++
		return n == 3, fmt.Sprintf("n=%d", n)
	})
	err := waitFor(50*time.Millisecond, 10*time.Millisecond, func() (bool, string) { return false, "never" })
	if err == nil || !strings.Contains(err.Error(), "never") {
		t.Fatalf("waitFor error = %v, want the last reason", err)
	}
}

func TestFindBinaryNamesThePackage(t *testing.T) {
	t.Parallel()
	_, err := findBinary("firebreak-missing-pkg", "firebreak-missing-binary")
	if err == nil || !strings.Contains(err.Error(), "apt-get install") || !strings.Contains(err.Error(), "firebreak-missing-pkg") {
		t.Fatalf("findBinary error = %v, want the Debian package to install", err)
	}
}

// TestServicesDieWithTestBinary runs this test binary again, has it start an
// Alertmanager and SIGKILL itself, and checks that the Alertmanager dies too.
func TestServicesDieWithTestBinary(t *testing.T) {
	if os.Getenv("TESTENV_DEATH_CHILD") == "1" {
		a := StartAlertmanager(t, AlertmanagerConfig{})
		fmt.Printf("PID=%d\n", a.proc.cmd.Process.Pid)
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServicesDieWithTestBinary$", "-test.v")
	cmd.Env = append(os.Environ(), "TESTENV_DEATH_CHILD=1")
	out, err := cmd.Output()
	if err == nil {
		t.Fatalf("child test binary exited cleanly, want SIGKILL; output:\n%s", out)
	}
	pid := 0
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if s, ok := strings.CutPrefix(sc.Text(), "PID="); ok {
			pid, _ = strconv.Atoi(s)
		}
	}
	if pid == 0 {
		t.Fatalf("child printed no PID: %v\n%s", err, out)
	}
	WaitFor(t, 5*time.Second, 20*time.Millisecond, func() (bool, string) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return true, "" // gone and reaped
		}
		// Field 3 is the state; a zombie waiting for its reaper is dead too.
		if f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:])); len(f) > 0 && f[0] == "Z" {
			return true, ""
		}
		return false, fmt.Sprintf("alertmanager pid %d still alive: %s", pid, stat)
	})
}
