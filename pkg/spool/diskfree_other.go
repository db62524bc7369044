//go:build !(linux || darwin)

package spool

import "errors"

// diskFree is not implemented here: Options.MinFreeBytes is then not enforced (Open logs it).
func diskFree(string) (int64, error) { return 0, errUnsupported }

var errUnsupported = errors.New("free disk space is not known on this system")
