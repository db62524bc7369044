//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package spool

import "os"

// lockDir is a no-op on platforms without flock: do not share a spool
// directory between processes there.
func lockDir(string) (*os.File, error) { return nil, nil }

func unlockDir(*os.File) error { return nil }
