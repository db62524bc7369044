package spool

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func allocatedBlocks(fi os.FileInfo) int64 { return fi.Sys().(*syscall.Stat_t).Blocks }

// openSegments lists the segment files this process holds open (Linux), deleted ones marked so.
func openSegments(t *testing.T) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	var segs []string
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.Contains(target, segmentExt) {
			segs = append(segs, filepath.Base(target))
		}
	}
	return segs
}

// A drained segment is deleted and nothing holds it open: an open file keeps its disk space, and on a full disk
// that space is what lets appends resume.
func TestDrainedSegmentIsNotHeldOpen(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Options{Dir: dir})
	appendAll(t, s, payloads("d", 3)...)
	recs := nextN(t, s, 3, 10)
	require.NoError(t, s.Commit(recs[2].Pos))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.Next(ctx, 10) // the consumer waits for more, as the processor does
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Eventually(t, func() bool {
		_, err := os.Stat(segFile(dir, 1))
		return errors.Is(err, os.ErrNotExist)
	}, 5*time.Second, time.Millisecond)
	require.Equal(t, []string{segName(2)}, openSegments(t), "only the new segment the writer appends to is open")
}
