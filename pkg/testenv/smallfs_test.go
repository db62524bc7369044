package testenv

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// The command line of InSmallFS mounts a file system of the size asked for, seen by the command and not outside.
func TestInSmallFS(t *testing.T) {
	dir := t.TempDir()
	bin, args := InSmallFS(t, dir, 1<<20, "sh", "-c", `stat -f -c '%b %S' "$0" && head -c 2000000 /dev/zero >"$0/fill"; echo "fill: $?"`, dir)
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var blocks, size int64
	if _, err := fmt.Sscanf(lines[0], "%d %d", &blocks, &size); err != nil || blocks*size != 1<<20 {
		t.Errorf("file system of %q blocks and block size, want 1 MiB (%v)", lines[0], err)
	}
	if !strings.Contains(string(out), "No space left on device") || lines[len(lines)-1] == "fill: 0" {
		t.Errorf("writing 2 MB into 1 MiB did not fail with ENOSPC:\n%s", out)
	}
	if out, err := exec.Command("ls", "-A", dir).Output(); err != nil || len(out) != 0 {
		t.Errorf("the mount leaked out of the namespace: %s %v", out, err)
	}
}
