package testenv

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// InSmallFS returns the command line (path and arguments, for Binary) that runs argv with a tmpfs of size bytes
// mounted at dir: a small file system to fill up. It runs in a user and mount namespace of its own (unshare(1)
// --map-root-user), so no root is needed, and the file system goes away with the process, nothing to unmount. Other
// processes do not see the mount; the test reads it at InNamespace(pid, dir).
func InSmallFS(t testing.TB, dir string, size int64, argv ...string) (string, []string) {
	t.Helper()
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatalf("testenv: a small file system needs unshare(1) (util-linux): %v", err)
	}
	if !filepath.IsAbs(dir) {
		t.Fatalf("testenv: InSmallFS: %s is not an absolute path", dir)
	}
	script := `mount -t tmpfs -o size="$1" firebreak-test "$2" || exit 1; shift 2; exec "$@"`
	args := append([]string{"--user", "--map-root-user", "--mount", "sh", "-c", script, "sh", strconv.FormatInt(size, 10), dir}, argv...)
	return unshare, args
}

// InNamespace is path as the process pid sees it (for a mount made by InSmallFS).
func InNamespace(pid int, path string) string {
	return filepath.Join(fmt.Sprintf("/proc/%d/root", pid), path)
}
