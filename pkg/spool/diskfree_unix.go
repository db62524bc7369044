//go:build linux || darwin

package spool

import "syscall"

// diskFree returns the bytes of dir's file system that an unprivileged writer may still use.
func diskFree(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil //nolint:unconvert // the field types differ between systems
}
