package spool

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func openT(t testing.TB, opts Options) *Spool {
	t.Helper()
	s, err := Open(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func appendAll(t testing.TB, s *Spool, payloads ...string) {
	t.Helper()
	for _, p := range payloads {
		require.NoError(t, s.Append(context.Background(), []byte(p)))
	}
}

func payloads(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%04d", prefix, i)
	}
	return out
}

// nextN reads exactly n records (in several Next calls if needed).
func nextN(t testing.TB, s *Spool, n, max int) []Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []Record
	for len(out) < n {
		recs, err := s.Next(ctx, max)
		require.NoError(t, err)
		require.LessOrEqual(t, len(recs), max)
		out = append(out, recs...)
	}
	require.Len(t, out, n)
	return out
}

// requireEmpty checks that Next has nothing to hand out.
func requireEmpty(t testing.TB, s *Spool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	recs, err := s.Next(ctx, 10)
	require.ErrorIs(t, err, context.DeadlineExceeded, "unexpected records %v", recs)
}

func datas(recs []Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Data)
	}
	return out
}

func frame(data []byte) []byte {
	b := make([]byte, headerSize+len(data))
	binary.LittleEndian.PutUint32(b[0:4], uint32(len(data)))
	binary.LittleEndian.PutUint32(b[4:8], crc32.Checksum(data, castagnoli))
	copy(b[headerSize:], data)
	return b
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

func segFile(dir string, n uint64) string { return filepath.Join(dir, segName(n)) }

func TestAppendNextCommitOrder(t *testing.T) {
	tests := []struct {
		name         string
		n, max       int
		segmentBytes int64
	}{
		{"one at a time", 10, 1, 0},
		{"batches", 100, 7, 0},
		{"all at once", 100, 1000, 0},
		{"across small segments", 100, 9, 64},
		{"one record per segment", 20, 3, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openT(t, Options{Dir: t.TempDir(), SegmentBytes: tc.segmentBytes})
			want := payloads("rec", tc.n)
			appendAll(t, s, want...)
			st := s.Stats()
			require.EqualValues(t, tc.n, st.PendingRecords)

			var got []string
			var pendingBytes int64 = st.PendingBytes
			for len(got) < tc.n {
				recs := nextN(t, s, min(tc.max, tc.n-len(got)), tc.max)
				for i := 1; i < len(recs); i++ {
					require.Equal(t, -1, recs[i-1].Pos.Compare(recs[i].Pos), "positions must increase")
				}
				got = append(got, datas(recs)...)
				require.NoError(t, s.Commit(recs[len(recs)-1].Pos))
				for _, r := range recs {
					pendingBytes -= int64(headerSize + len(r.Data))
				}
				st := s.Stats()
				require.EqualValues(t, tc.n-len(got), st.PendingRecords)
				require.Equal(t, pendingBytes, st.PendingBytes)
			}
			require.Equal(t, want, got)
			requireEmpty(t, s)
			require.Equal(t, 1, s.Stats().Segments, "consumed segments are deleted")
		})
	}
}

func TestNextNeverHandsOutTwice(t *testing.T) {
	s := openT(t, Options{Dir: t.TempDir()})
	appendAll(t, s, "a", "b", "c")
	first := nextN(t, s, 2, 2)
	require.Equal(t, []string{"a", "b"}, datas(first))
	// No commit: the next call still continues after the handed out records.
	require.Equal(t, []string{"c"}, datas(nextN(t, s, 1, 10)))
	requireEmpty(t, s)
	appendAll(t, s, "d")
	require.Equal(t, []string{"d"}, datas(nextN(t, s, 1, 10)))
	require.EqualValues(t, 4, s.Stats().PendingRecords, "handed out but uncommitted records stay pending")
}

func TestNextWakesOnAppend(t *testing.T) {
	s := openT(t, Options{Dir: t.TempDir()})
	got := make(chan []Record, 1)
	go func() {
		recs, err := s.Next(context.Background(), 10)
		if err != nil {
			close(got)
			return
		}
		got <- recs
	}()
	time.Sleep(20 * time.Millisecond) // let Next block
	appendAll(t, s, "wake")
	select {
	case recs := <-got:
		require.Equal(t, []string{"wake"}, datas(recs))
	case <-time.After(5 * time.Second):
		t.Fatal("Next did not wake up")
	}
}

func TestRestartResumesFromCheckpoint(t *testing.T) {
	tests := []struct {
		name         string
		segmentBytes int64
	}{
		{"single segment", 0},
		{"many segments", 50},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{Dir: dir, SegmentBytes: tc.segmentBytes}
			s, err := Open(opts)
			require.NoError(t, err)
			all := payloads("r", 30)
			appendAll(t, s, all...)
			recs := nextN(t, s, 20, 20)
			require.NoError(t, s.Commit(recs[9].Pos)) // consumed 0..9; 10..19 handed out only
			require.NoError(t, s.Close())

			s, err = Open(opts)
			require.NoError(t, err)
			st := s.Stats()
			require.EqualValues(t, 20, st.PendingRecords)
			var wantBytes int64
			for _, p := range all[10:] {
				wantBytes += int64(headerSize + len(p))
			}
			require.Equal(t, wantBytes, st.PendingBytes)
			recs = nextN(t, s, 20, 100)
			require.Equal(t, all[10:], datas(recs))
			requireEmpty(t, s)

			// Appending after a restart continues in order; commit everything.
			appendAll(t, s, "after-restart")
			recs = nextN(t, s, 1, 10)
			require.Equal(t, []string{"after-restart"}, datas(recs))
			require.NoError(t, s.Commit(recs[0].Pos))
			require.NoError(t, s.Close())

			s = openT(t, opts)
			require.Equal(t, Stats{PendingRecords: 0, PendingBytes: 0, Segments: 1}, s.Stats())
			requireEmpty(t, s)
		})
	}
}

func TestTornTailIsTruncated(t *testing.T) {
	valid := frame([]byte("last-good"))
	tests := []struct {
		name string
		tail []byte
	}{
		{"partial header", []byte{5, 0, 0}},
		{"partial data", frame([]byte("torn-record"))[:12]},
		{"crc mismatch", func() []byte { b := frame([]byte("bitflip")); b[10] ^= 1; return b }()},
		{"zero filled", make([]byte, 4096)},
		{"huge length", []byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5}},
		{"garbage", []byte("this is not a record at all, just garbage bytes")},
		{"crc mismatch followed by valid record", append(func() []byte { b := frame([]byte("bad")); b[4] ^= 1; return b }(), valid...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{Dir: dir}
			s, err := Open(opts)
			require.NoError(t, err)
			appendAll(t, s, "one", "two", "three")
			require.NoError(t, s.Close())

			path := segFile(dir, 1)
			before, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, append(bytes.Clone(before), tc.tail...), 0o644))

			var logBuf bytes.Buffer
			opts.Logger = slogTo(&logBuf)
			s, err = Open(opts)
			require.NoError(t, err)
			require.Contains(t, logBuf.String(), "truncated torn or corrupt tail")
			require.Contains(t, logBuf.String(), segName(1))
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, before, after, "the tail must be truncated away")
			require.EqualValues(t, 3, s.Stats().PendingRecords)
			require.Equal(t, []string{"one", "two", "three"}, datas(nextN(t, s, 3, 10)))

			// New appends go after the valid data and survive another restart.
			appendAll(t, s, "four")
			require.NoError(t, s.Close())
			s = openT(t, Options{Dir: dir})
			require.Equal(t, []string{"one", "two", "three", "four"}, datas(nextN(t, s, 4, 10)))
		})
	}
}

func TestTornTailAfterCheckpoint(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	require.NoError(t, err)
	appendAll(t, s, "a", "b")
	recs := nextN(t, s, 2, 2)
	require.NoError(t, s.Commit(recs[0].Pos)) // not all: a drained segment would be replaced by a new one
	require.NoError(t, s.Close())

	f, err := os.OpenFile(segFile(dir, 1), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(frame([]byte("partial"))[:9])
	require.NoError(t, err)
	require.NoError(t, f.Close())

	s = openT(t, Options{Dir: dir})
	require.Equal(t, Stats{PendingRecords: 1, PendingBytes: headerSize + 1, Segments: 1}, s.Stats())
	fi, err := os.Stat(segFile(dir, 1))
	require.NoError(t, err)
	require.Equal(t, recs[1].Pos.Offset, fi.Size())
	require.Equal(t, []string{"b"}, datas(nextN(t, s, 1, 10)))
	requireEmpty(t, s)
}

func TestMidFileCorruptionIsAnError(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(b []byte) []byte // applied to segment 1 (not the last)
		offset  int64
		reason  string
	}{
		{"crc mismatch in first record", func(b []byte) []byte { b[headerSize] ^= 0xff; return b }, 0, "checksum mismatch"},
		{"crc mismatch in second record", func(b []byte) []byte { b[len(frame([]byte("r-0000")))+headerSize+1] ^= 1; return b }, int64(len(frame([]byte("r-0000")))), "checksum mismatch"},
		{"truncated sealed segment", func(b []byte) []byte { return b[:len(b)-3] }, -1, "exceeds"},
		{"zeroed length", func(b []byte) []byte { copy(b[0:4], []byte{0, 0, 0, 0}); return b }, 0, "zero record length"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// 3 records of 14 bytes per 50-byte segment: several segments.
			opts := Options{Dir: dir, SegmentBytes: 50}
			s, err := Open(opts)
			require.NoError(t, err)
			appendAll(t, s, payloads("r", 7)...)
			require.Equal(t, 3, s.Stats().Segments)
			require.NoError(t, s.Close())

			path := segFile(dir, 1)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			corrupted := tc.corrupt(bytes.Clone(b))
			require.NoError(t, os.WriteFile(path, corrupted, 0o644))

			_, err = Open(opts)
			require.Error(t, err)
			var ce *CorruptionError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, path, ce.Path)
			require.Contains(t, err.Error(), segName(1))
			require.Contains(t, ce.Reason, tc.reason)
			if tc.offset >= 0 {
				require.Equal(t, tc.offset, ce.Offset)
				require.Contains(t, err.Error(), fmt.Sprintf("offset %d", tc.offset))
			}
			// Nothing was dropped: the file is untouched.
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, corrupted, after)
		})
	}
}

func TestMissingSegmentIsAnError(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, SegmentBytes: 20}
	s, err := Open(opts)
	require.NoError(t, err)
	appendAll(t, s, payloads("r", 4)...)
	require.Equal(t, 4, s.Stats().Segments)
	require.NoError(t, s.Close())
	require.NoError(t, os.Remove(segFile(dir, 2)))
	_, err = Open(opts)
	require.ErrorContains(t, err, segName(2)+" is missing")
}

func TestErrFullAndRecoveryAfterCommit(t *testing.T) {
	// Each record is 8+10 = 18 bytes; room for exactly 5.
	dir := t.TempDir()
	opts := Options{Dir: dir, MaxBytes: 90, SegmentBytes: 36}
	s, err := Open(opts)
	require.NoError(t, err)
	recs := payloads("full", 5) // "full-0000" is 9 bytes
	for i := range recs {
		recs[i] += "x"
	}
	appendAll(t, s, recs...)
	require.EqualValues(t, 90, s.Stats().PendingBytes)
	require.ErrorIs(t, s.Append(context.Background(), []byte("0123456789")), ErrFull)
	require.ErrorIs(t, s.Append(context.Background(), []byte("1")), ErrFull)
	require.EqualValues(t, 5, s.Stats().PendingRecords, "ErrFull must not write")

	// Handing out does not free space; committing does.
	got := nextN(t, s, 2, 2)
	require.ErrorIs(t, s.Append(context.Background(), []byte("0123456789")), ErrFull)
	require.NoError(t, s.Commit(got[1].Pos))
	require.NoError(t, s.Append(context.Background(), []byte("0123456789")))
	require.NoError(t, s.Append(context.Background(), []byte("abcdefghij")))
	require.ErrorIs(t, s.Append(context.Background(), []byte("0123456789")), ErrFull)

	// The bound survives a restart (pending bytes are rebuilt).
	require.NoError(t, s.Close())
	s = openT(t, opts)
	require.EqualValues(t, 90, s.Stats().PendingBytes)
	require.ErrorIs(t, s.Append(context.Background(), []byte("0123456789")), ErrFull)
	all := nextN(t, s, 5, 10)
	require.Equal(t, append(recs[2:], "0123456789", "abcdefghij"), datas(all))
	require.NoError(t, s.Commit(all[4].Pos))
	require.Equal(t, Stats{Segments: 1}, s.Stats())
	require.NoError(t, s.Append(context.Background(), []byte("0123456789")))
}

func TestSegmentRotationAndDeletion(t *testing.T) {
	dir := t.TempDir()
	// Records are 8+6 = 14 bytes; 3 fit in a 42-byte segment.
	s := openT(t, Options{Dir: dir, SegmentBytes: 42})
	appendAll(t, s, payloads("s", 10)...) // segments 1,2,3 full, 4 has one record
	segsOnDisk := func() []string {
		m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
		require.NoError(t, err)
		for i := range m {
			m[i] = filepath.Base(m[i])
		}
		return m
	}
	require.Equal(t, []string{segName(1), segName(2), segName(3), segName(4)}, segsOnDisk())
	require.Equal(t, 4, s.Stats().Segments)
	for _, n := range []uint64{1, 2, 3} {
		fi, err := os.Stat(segFile(dir, n))
		require.NoError(t, err)
		require.EqualValues(t, 42, fi.Size())
	}

	recs := nextN(t, s, 10, 10)
	require.Equal(t, Position{Segment: 2, Offset: 14}, recs[3].Pos)
	require.NoError(t, s.Commit(recs[3].Pos)) // segment 1 fully consumed
	require.Equal(t, []string{segName(2), segName(3), segName(4)}, segsOnDisk())
	require.NoError(t, s.Commit(recs[8].Pos)) // end of segment 3: 2 and 3 fully consumed
	require.Equal(t, []string{segName(4)}, segsOnDisk())
	// Everything committed: the writer starts an empty segment and the drained one goes too.
	require.NoError(t, s.Commit(recs[9].Pos))
	require.Eventually(t, func() bool { return slices.Equal([]string{segName(5)}, segsOnDisk()) }, 5*time.Second, time.Millisecond)
	require.Equal(t, Stats{Segments: 1}, s.Stats())
	fi, err := os.Stat(segFile(dir, 5))
	require.NoError(t, err)
	require.Zero(t, fi.Size())

	// A record larger than SegmentBytes gets a segment of its own.
	big := strings.Repeat("B", 100)
	appendAll(t, s, "first", big, "small")
	require.Equal(t, []string{segName(5), segName(6), segName(7)}, segsOnDisk())
	recs = nextN(t, s, 3, 10)
	require.Equal(t, []string{"first", big, "small"}, datas(recs))
	require.NoError(t, s.Commit(recs[1].Pos))
	require.Equal(t, []string{segName(7)}, segsOnDisk())
}

func TestCommitFullyConsumedSegmentThenRestart(t *testing.T) {
	// The checkpoint names a segment that Commit deleted; Open must resume
	// with the next one and must not re-deliver anything.
	dir := t.TempDir()
	opts := Options{Dir: dir, SegmentBytes: 28} // two 14-byte records per segment
	s, err := Open(opts)
	require.NoError(t, err)
	appendAll(t, s, payloads("c", 5)...)
	recs := nextN(t, s, 2, 2)
	require.Equal(t, Position{Segment: 1, Offset: 28}, recs[1].Pos)
	require.NoError(t, s.Commit(recs[1].Pos))
	_, err = os.Stat(segFile(dir, 1))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NoError(t, s.Close())

	s = openT(t, opts)
	require.Equal(t, payloads("c", 5)[2:], datas(nextN(t, s, 3, 10)))
}

func TestCommitInvalidPosition(t *testing.T) {
	s := openT(t, Options{Dir: t.TempDir()})
	appendAll(t, s, "a", "b", "c")
	recs := nextN(t, s, 2, 2)
	require.ErrorIs(t, s.Commit(Position{Segment: 1, Offset: 5}), ErrUnknownPosition, "not a record boundary")
	require.ErrorIs(t, s.Commit(Position{Segment: 1, Offset: 27}), ErrUnknownPosition, "not handed out yet")
	require.NoError(t, s.Commit(recs[1].Pos))
	require.NoError(t, s.Commit(recs[0].Pos), "committing an older position is a no-op")
	require.NoError(t, s.Commit(recs[1].Pos), "committing twice is a no-op")
	require.EqualValues(t, 1, s.Stats().PendingRecords)
}

func TestRecordSizeLimits(t *testing.T) {
	s := openT(t, Options{Dir: t.TempDir(), MaxRecordBytes: 10})
	ctx := context.Background()
	require.ErrorIs(t, s.Append(ctx, nil), ErrEmptyRecord)
	require.ErrorIs(t, s.Append(ctx, []byte{}), ErrEmptyRecord)
	require.ErrorIs(t, s.Append(ctx, make([]byte, 11)), ErrRecordTooLarge)
	require.NoError(t, s.Append(ctx, make([]byte, 10)))
	require.EqualValues(t, 1, s.Stats().PendingRecords)
}

func TestConcurrentAppenders(t *testing.T) {
	const writers, perWriter = 50, 200
	s := openT(t, Options{Dir: t.TempDir(), SegmentBytes: 16 << 10})

	// The consumer runs concurrently and commits as it goes.
	type result struct {
		recs []Record
		err  error
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan result, 1)
	go func() {
		var all []Record
		for len(all) < writers*perWriter {
			recs, err := s.Next(ctx, 97)
			if err != nil {
				done <- result{all, err}
				return
			}
			all = append(all, recs...)
			if err := s.Commit(recs[len(recs)-1].Pos); err != nil {
				done <- result{all, err}
				return
			}
		}
		done <- result{all, nil}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				if err := s.Append(context.Background(), fmt.Appendf(nil, "w%02d-%04d", w, i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	var res result
	select {
	case res = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("consumer did not receive all records")
	}
	require.NoError(t, res.err)
	require.Len(t, res.recs, writers*perWriter)
	next := make([]int, writers)
	for i, r := range res.recs {
		if i > 0 {
			require.Equal(t, -1, res.recs[i-1].Pos.Compare(r.Pos))
		}
		var w, n int
		_, err := fmt.Sscanf(string(r.Data), "w%02d-%04d", &w, &n)
		require.NoError(t, err)
		require.Equal(t, next[w], n, "writer %d: records out of order or duplicated", w)
		next[w]++
	}
	for w := range writers {
		require.Equal(t, perWriter, next[w])
	}
	require.Equal(t, int64(0), s.Stats().PendingRecords)
	t.Logf("%d appends, %d fsyncs", writers*perWriter, s.syncs.Load())
	require.Less(t, s.syncs.Load(), int64(writers*perWriter), "group commit should batch appends")
}

func TestGroupCommit(t *testing.T) {
	// While the first fsync is blocked, further appends queue up and are
	// written with a single fsync.
	s := openT(t, Options{Dir: t.TempDir()})
	release := make(chan struct{})
	entered := make(chan struct{}, 10)
	s.syncFile = func(f *os.File) error {
		entered <- struct{}{}
		<-release
		return f.Sync()
	}
	const n = 20
	errs := make(chan error, n+1)
	go func() { errs <- s.Append(context.Background(), []byte("first")) }()
	<-entered // the writer is inside fsync for "first"
	for i := range n {
		go func() { errs <- s.Append(context.Background(), fmt.Appendf(nil, "queued-%d", i)) }()
	}
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.cur.ends) == n
	}, 5*time.Second, time.Millisecond)
	close(release)
	for range n + 1 {
		require.NoError(t, <-errs)
	}
	require.EqualValues(t, 2, s.syncs.Load(), "21 appends, 2 fsyncs")
	require.EqualValues(t, n+1, s.Stats().PendingRecords)
}

func TestSyncInterval(t *testing.T) {
	// Appends within SyncInterval of the last fsync's start wait for the interval and share one fsync.
	s := openT(t, Options{Dir: t.TempDir(), SyncInterval: 300 * time.Millisecond})
	require.NoError(t, s.Append(context.Background(), []byte("first")))
	require.EqualValues(t, 1, s.syncs.Load())
	start := time.Now()
	const n = 10
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- s.Append(context.Background(), fmt.Appendf(nil, "next-%d", i)) }()
	}
	for range n {
		require.NoError(t, <-errs)
	}
	require.EqualValues(t, 2, s.syncs.Load(), "11 appends, 2 fsyncs")
	require.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond, "the appends waited for the interval")
	require.EqualValues(t, n+1, s.Stats().PendingRecords)
}

func TestAppendNotAcknowledgedBeforeFsync(t *testing.T) {
	s := openT(t, Options{Dir: t.TempDir()})
	release := make(chan struct{})
	s.syncFile = func(f *os.File) error { <-release; return f.Sync() }
	errc := make(chan error, 1)
	go func() { errc <- s.Append(context.Background(), []byte("x")) }()
	select {
	case err := <-errc:
		t.Fatalf("Append returned %v before fsync finished", err)
	case <-time.After(50 * time.Millisecond):
	}
	requireEmpty(t, s) // not durable yet: not handed out either
	close(release)
	require.NoError(t, <-errc)
	require.Equal(t, []string{"x"}, datas(nextN(t, s, 1, 1)))
}

func TestFsyncFailureIsSticky(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	require.NoError(t, err)
	appendAll(t, s, "good")
	boom := errors.New("injected EIO")
	s.syncFile = func(*os.File) error { return boom }
	err = s.Append(context.Background(), []byte("bad"))
	require.ErrorIs(t, err, boom)
	s.syncFile = (*os.File).Sync
	require.ErrorIs(t, s.Append(context.Background(), []byte("later")), boom, "spool stays failed")
	require.ErrorIs(t, s.Health(), boom, "and says so")
	require.EqualValues(t, 1, s.Stats().PendingRecords)
	require.Equal(t, []string{"good"}, datas(nextN(t, s, 1, 10)))
	require.NoError(t, s.Close())

	// After reopening, the spool works again (the unacknowledged record may
	// or may not have survived: at-least-once).
	s = openT(t, Options{Dir: dir})
	require.NoError(t, s.Health())
	appendAll(t, s, "after")
	st := s.Stats()
	require.GreaterOrEqual(t, st.PendingRecords, int64(2))
}

func TestAppendAfterClose(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir()})
	require.NoError(t, err)
	appendAll(t, s, "a")
	require.NoError(t, s.Close())
	require.ErrorIs(t, s.Append(context.Background(), []byte("b")), ErrClosed)
	_, err = s.Next(context.Background(), 1)
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, s.Commit(Position{Segment: 1, Offset: 9}), ErrClosed)
	require.NoError(t, s.Close(), "Close is idempotent")
}

func TestCloseFlushesQueuedAppends(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	require.NoError(t, err)
	release := make(chan struct{})
	entered := make(chan struct{}, 10)
	s.syncFile = func(f *os.File) error { entered <- struct{}{}; <-release; return f.Sync() }
	errs := make(chan error, 3)
	go func() { errs <- s.Append(context.Background(), []byte("a")) }()
	<-entered
	go func() { errs <- s.Append(context.Background(), []byte("b")) }()
	go func() { errs <- s.Append(context.Background(), []byte("c")) }()
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.cur.ends) == 2
	}, 5*time.Second, time.Millisecond)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	close(release)
	require.NoError(t, <-closed)
	for range 3 {
		require.NoError(t, <-errs)
	}
	s = openT(t, Options{Dir: dir})
	require.ElementsMatch(t, []string{"a", "b", "c"}, datas(nextN(t, s, 3, 10)))
}

func TestCloseWakesNext(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir()})
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() {
		_, err := s.Next(context.Background(), 1)
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, s.Close())
	select {
	case err := <-errc:
		require.ErrorIs(t, err, ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Next not woken by Close")
	}
}

func TestNextContextCancellation(t *testing.T) {
	s := openT(t, Options{Dir: t.TempDir()})
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 30*time.Millisecond)
		}, context.DeadlineExceeded},
		{"cancel while blocked", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(30*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"already cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			start := time.Now()
			recs, err := s.Next(ctx, 10)
			require.ErrorIs(t, err, tc.want)
			require.Nil(t, recs)
			require.Less(t, time.Since(start), 5*time.Second)
		})
	}
	// The spool is still usable afterwards.
	appendAll(t, s, "x")
	require.Equal(t, []string{"x"}, datas(nextN(t, s, 1, 1)))
	_, err := s.Next(context.Background(), 0)
	require.Error(t, err)
}

func TestAppendContextCancellation(t *testing.T) {
	s := openT(t, Options{Dir: t.TempDir()})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, s.Append(ctx, []byte("x")), context.Canceled)
	require.Equal(t, Stats{Segments: 1}, s.Stats(), "an already cancelled Append writes nothing")

	// Cancelled while waiting for fsync: Append returns early, the record
	// is still stored and delivered.
	release := make(chan struct{})
	s.syncFile = func(f *os.File) error { <-release; return f.Sync() }
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, s.Append(ctx, []byte("y")), context.DeadlineExceeded)
	close(release)
	require.Equal(t, []string{"y"}, datas(nextN(t, s, 1, 1)))
}

func TestDirectoryIsLocked(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no flock on this platform")
	}
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	require.NoError(t, err)
	_, err = Open(Options{Dir: dir})
	require.ErrorContains(t, err, "already in use")
	require.NoError(t, s.Close())
	s2, err := Open(Options{Dir: dir})
	require.NoError(t, err)
	require.NoError(t, s2.Close())
}

func TestOpenCreatesDirAndValidatesOptions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s := openT(t, Options{Dir: dir})
	require.FileExists(t, segFile(dir, 1))
	require.Equal(t, Stats{Segments: 1}, s.Stats())
	_, err := Open(Options{})
	require.Error(t, err)
	_, err = Open(Options{Dir: t.TempDir(), MaxBytes: -1})
	require.Error(t, err)
}

func TestLargeRecords(t *testing.T) {
	// Records larger than the read-ahead buffer, mixed with small ones.
	dir := t.TempDir()
	s := openT(t, Options{Dir: dir, SegmentBytes: 1 << 20})
	big := bytes.Repeat([]byte("0123456789abcdef"), (readAhead*3)/16+5)
	want := []string{"small-1", string(big), "small-2", string(big[:readAhead-3]), "small-3"}
	appendAll(t, s, want...)
	require.Equal(t, want, datas(nextN(t, s, len(want), 10)))
}

func TestNoGoroutineLeakAfterClose(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 5 {
		s, err := Open(Options{Dir: t.TempDir(), SegmentBytes: 64})
		require.NoError(t, err)
		appendAll(t, s, payloads("g", 20)...)
		recs := nextN(t, s, 20, 7)
		require.NoError(t, s.Commit(recs[19].Pos))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		_, err = s.Next(ctx, 1)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.NoError(t, s.Close())
	}
	// (testify's Eventually runs its condition in an extra goroutine: poll by hand.)
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before, "goroutine leak:\n%s", stacks())
}

func stacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}
