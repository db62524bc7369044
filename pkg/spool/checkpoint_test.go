package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// checkpointBytes builds a checkpoint file with the given slots (nil: never written, zeros).
func checkpointBytes(slots ...[]byte) []byte {
	b := make([]byte, checkpointSize)
	for i, s := range slots {
		copy(b[i*checkpointStride:], s)
	}
	return b
}

func legacyCheckpoint(p Position) []byte {
	b := make([]byte, legacyCheckpointSize)
	copy(b, legacyCheckpointMagic)
	binary.LittleEndian.PutUint64(b[8:16], p.Segment)
	binary.LittleEndian.PutUint64(b[16:24], uint64(p.Offset))
	binary.LittleEndian.PutUint32(b[24:28], crc32.Checksum(b[:24], castagnoli))
	return b
}

// torn is slot new written over old only up to n bytes: what a crash in the middle of the write leaves.
func torn(old, new []byte, n int) []byte {
	b := make([]byte, slotBytes)
	copy(b, old)
	copy(b[:n], new[:n])
	return b
}

func TestDecodeCheckpoint(t *testing.T) {
	p1, p2, p3 := Position{1, 100}, Position{1, 250}, Position{2, 18}
	type want struct {
		pos    Position
		gen    uint64
		legacy bool
		err    string
	}
	tests := []struct {
		name string
		file []byte
		want want
	}{
		{"fresh", checkpointBytes(encodeSlot(0, Position{})), want{}},
		{"first commit in slot 1", checkpointBytes(encodeSlot(0, Position{}), encodeSlot(1, p1)), want{pos: p1, gen: 1}},
		{"second commit in slot 0", checkpointBytes(encodeSlot(2, p2), encodeSlot(1, p1)), want{pos: p2, gen: 2}},
		{"newer slot torn after its magic", checkpointBytes(torn(encodeSlot(0, p1), encodeSlot(2, p2), 12), encodeSlot(1, p1)), want{pos: p1, gen: 1}},
		{"newer slot torn before its checksum", checkpointBytes(encodeSlot(2, p2), torn(encodeSlot(1, p1), encodeSlot(3, p3), 32)), want{pos: p2, gen: 2}},
		{"newer slot zeroed", checkpointBytes(encodeSlot(4, p2), make([]byte, slotBytes)), want{pos: p2, gen: 4}},
		{"older slot corrupt", checkpointBytes(func() []byte { b := encodeSlot(2, p2); b[20] ^= 1; return b }(), encodeSlot(3, p3)), want{pos: p3, gen: 3}},
		{"bytes after the slots are ignored", func() []byte {
			b := checkpointBytes(encodeSlot(0, Position{}), encodeSlot(1, p1))
			b[checkpointSize-1] = 0xff
			return b
		}(), want{pos: p1, gen: 1}},
		{"same generation twice, same position", checkpointBytes(encodeSlot(5, p1), encodeSlot(5, p1)), want{pos: p1, gen: 5}},
		{"same generation twice, different positions", checkpointBytes(encodeSlot(5, p1), encodeSlot(5, p2)), want{err: "both slots have generation 5"}},
		{"no valid slot", checkpointBytes(torn(nil, encodeSlot(1, p1), 30)), want{err: "no valid slot"}},
		{"all zeros", make([]byte, checkpointSize), want{err: "no valid slot"}},
		{"negative offset", checkpointBytes(encodeSlot(1, Position{1, -1})), want{err: "no valid slot"}},
		{"truncated", checkpointBytes(encodeSlot(1, p1))[:checkpointSize-1], want{err: "1023 bytes, want 1024"}},
		{"empty", nil, want{err: "0 bytes"}},
		{"legacy", legacyCheckpoint(p3), want{pos: p3, legacy: true}},
		{"legacy corrupt", func() []byte { b := legacyCheckpoint(p3); b[9] ^= 1; return b }(), want{err: "checksum mismatch"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := decodeCheckpoint(tc.file)
			if tc.want.err != "" {
				require.ErrorContains(t, err, tc.want.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, checkpointState{pos: tc.want.pos, gen: tc.want.gen, legacy: tc.want.legacy}, st)
		})
	}
}

// Every prefix of a commit's write, torn at any byte: the file says the new position or the one before.
func TestCheckpointTornAtEveryByte(t *testing.T) {
	old, prev := Position{3, 40}, Position{3, 90}
	next := Position{4, 12}
	base := checkpointBytes(encodeSlot(6, old), encodeSlot(7, prev))
	newSlot := encodeSlot(8, next) // generation 8 goes to slot 0
	for n := 0; n <= slotBytes; n++ {
		b := append([]byte(nil), base...)
		copy(b[:n], newSlot[:n])
		st, err := decodeCheckpoint(b)
		require.NoError(t, err, "torn at %d", n)
		if n == slotBytes {
			require.Equal(t, next, st.pos)
		} else {
			require.Equal(t, prev, st.pos, "torn at %d", n)
		}
	}
}

func TestCommitOverwritesTheCheckpointInPlace(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Options{Dir: dir})
	path := filepath.Join(dir, checkpointName)
	before, err := os.Stat(path)
	require.NoError(t, err, "Open creates the checkpoint at its full size")
	require.EqualValues(t, checkpointSize, before.Size())
	entries := func() []string {
		es, err := os.ReadDir(dir)
		require.NoError(t, err)
		var names []string
		for _, e := range es {
			if _, seg := parseSegName(e.Name()); !seg {
				names = append(names, e.Name())
			}
		}
		return names
	}
	files := entries()
	appendAll(t, s, payloads("c", 10)...)
	for _, r := range nextN(t, s, 10, 10)[:9] { // the last stays pending: no drained-segment rotation
		require.NoError(t, s.Commit(r.Pos))
	}
	after, err := os.Stat(path)
	require.NoError(t, err)
	require.True(t, os.SameFile(before, after), "the same file, not a replacement")
	require.EqualValues(t, checkpointSize, after.Size())
	require.Equal(t, allocatedBlocks(before), allocatedBlocks(after), "no block allocated")
	require.Equal(t, files, entries(), "no file created")
}

// A crash tore the last commit's slot: Open resumes from the commit before, handing out again what came after it.
func TestOpenAfterTornCommit(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Options{Dir: dir})
	appendAll(t, s, payloads("t", 5)...)
	recs := nextN(t, s, 5, 5)
	require.NoError(t, s.Commit(recs[1].Pos)) // generation 1, slot 1
	require.NoError(t, s.Commit(recs[3].Pos)) // generation 2, slot 0
	require.NoError(t, s.Close())
	path := filepath.Join(dir, checkpointName)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[30] ^= 0xff // inside slot 0's offset
	require.NoError(t, os.WriteFile(path, b, 0o644))

	s = openT(t, Options{Dir: dir})
	recs = nextN(t, s, 3, 10)
	require.Equal(t, payloads("t", 5)[2:], datas(recs))
	// The next commit writes the spoiled slot, never the one Open resumed from.
	require.NoError(t, s.Commit(recs[0].Pos))
	require.NoError(t, s.Close())
	s = openT(t, Options{Dir: dir})
	require.Equal(t, payloads("t", 5)[3:], datas(nextN(t, s, 2, 10)))
}

func TestCorruptCheckpointIsAnError(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Options{Dir: dir})
	appendAll(t, s, "a", "b")
	require.NoError(t, s.Commit(nextN(t, s, 2, 2)[0].Pos))
	require.NoError(t, s.Close())
	path := filepath.Join(dir, checkpointName)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[9] ^= 1
	b[checkpointStride+9] ^= 1
	require.NoError(t, os.WriteFile(path, b, 0o644))
	_, err = Open(Options{Dir: dir})
	require.ErrorContains(t, err, "corrupt checkpoint file "+path+": no valid slot")
}

// A spool written before the two-slot checkpoint resumes where it was and is converted.
func TestLegacyCheckpointIsConverted(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Options{Dir: dir})
	appendAll(t, s, payloads("l", 4)...)
	recs := nextN(t, s, 4, 4)
	require.NoError(t, s.Close())
	path := filepath.Join(dir, checkpointName)
	require.NoError(t, os.WriteFile(path, legacyCheckpoint(recs[1].Pos), 0o644))

	s = openT(t, Options{Dir: dir})
	require.Equal(t, payloads("l", 4)[2:], datas(nextN(t, s, 2, 10)))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	st, err := decodeCheckpoint(b)
	require.NoError(t, err)
	require.Equal(t, checkpointState{pos: recs[1].Pos}, st)
}

// fakeDisk stands in for the file system's free space (real small file systems are in the receiver's end-to-end
// test): free shrinks as segment bytes are written and grows as they are deleted.
type fakeDisk struct {
	dir   string
	total atomic.Int64
}

func (d *fakeDisk) free(string) (int64, error) {
	used := int64(0)
	es, err := os.ReadDir(d.dir)
	if err != nil {
		return 0, err
	}
	for _, e := range es {
		fi, err := e.Info()
		if err != nil {
			continue // deleted meanwhile
		}
		used += fi.Size()
	}
	return d.total.Load() - used, nil
}

func TestMinFreeBytes(t *testing.T) {
	dir := t.TempDir()
	disk := &fakeDisk{dir: dir}
	disk.total.Store(checkpointSize + 1000)
	measureFree = disk.free
	t.Cleanup(func() { measureFree = diskFree })
	s := openT(t, Options{Dir: dir, MinFreeBytes: 500, DiskCheckInterval: 10 * time.Millisecond})
	require.NoError(t, s.Health())
	require.EqualValues(t, 1000, s.DiskFree())

	// 100-byte records (8 + 92): five fit before less than 500 bytes would be left.
	rec := make([]byte, 92)
	for i := range 5 {
		require.NoError(t, s.Append(context.Background(), rec), "record %d", i)
	}
	err := s.Append(context.Background(), rec)
	var low *DiskLowError
	require.ErrorAs(t, err, &low)
	require.ErrorIs(t, err, ErrFull, "a sender is told to retry later")
	require.Equal(t, DiskLowError{Dir: dir, Free: 500, MinFree: 500}, *low)
	require.ErrorAs(t, s.Health(), &low, "not ready while a record does not fit")
	require.EqualValues(t, 5, s.Stats().PendingRecords, "nothing written")

	// Others free space: noticed within DiskCheckInterval, without any append or commit.
	disk.total.Add(100)
	require.Eventually(t, func() bool { return s.Health() == nil }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, s.Append(context.Background(), rec))
	require.Error(t, s.Health())

	// The consumer drains the spool: the segments go and the space comes back.
	recs := nextN(t, s, 6, 10)
	require.NoError(t, s.Commit(recs[5].Pos))
	require.Eventually(t, func() bool { return s.Health() == nil && s.DiskFree() == 1100 }, 5*time.Second, time.Millisecond)
	for range 6 {
		require.NoError(t, s.Append(context.Background(), rec))
	}
}

// Health waits until the record that was refused fits, not just any record.
func TestHealthWaitsForTheRefusedRecord(t *testing.T) {
	dir := t.TempDir()
	disk := &fakeDisk{dir: dir}
	disk.total.Store(checkpointSize + 1000)
	measureFree = disk.free
	t.Cleanup(func() { measureFree = diskFree })
	s := openT(t, Options{Dir: dir, MinFreeBytes: 500, DiskCheckInterval: 10 * time.Millisecond})
	big := make([]byte, 592)
	require.True(t, errors.Is(s.Append(context.Background(), big), ErrFull))
	require.Error(t, s.Health())
	disk.total.Add(50)
	time.Sleep(50 * time.Millisecond)
	require.Error(t, s.Health(), "50 more bytes do not make room for the refused record")
	disk.total.Add(50)
	require.Eventually(t, func() bool { return s.Health() == nil }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, s.Append(context.Background(), big))
}

// A spool closed right after it drained (before the writer started a new segment) frees that segment at Open.
func TestOpenFreesADrainedSegment(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Options{Dir: dir})
	appendAll(t, s, payloads("o", 3)...)
	recs := nextN(t, s, 3, 10)
	require.NoError(t, s.Close()) // before the commit, so that the segment stays
	s = openT(t, Options{Dir: dir})
	recs = nextN(t, s, 3, 10)
	s.mu.Lock()
	s.drained = false // no rotation from this commit: the state a crash right after it leaves
	s.mu.Unlock()
	s.commitMu.Lock()
	require.NoError(t, s.cpf.write(recs[2].Pos))
	s.commitMu.Unlock()
	require.NoError(t, s.Close())
	_, err := os.Stat(segFile(dir, 1))
	require.NoError(t, err, "the drained segment is still there")

	s = openT(t, Options{Dir: dir})
	require.Eventually(t, func() bool {
		_, err := os.Stat(segFile(dir, 1))
		return errors.Is(err, os.ErrNotExist)
	}, 5*time.Second, time.Millisecond)
	require.Equal(t, Stats{Segments: 1}, s.Stats())
	appendAll(t, s, "next")
	require.Equal(t, []string{"next"}, datas(nextN(t, s, 1, 10)))
}

// A commit that cannot write its checkpoint changes nothing, and the same commit succeeds once the cause is gone (the
// processor retries it): the slot it tried is written then, never the one holding the last checkpoint.
func TestFailedCommitChangesNothing(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, Options{Dir: dir})
	appendAll(t, s, payloads("f", 4)...)
	recs := nextN(t, s, 4, 10)
	require.NoError(t, s.Commit(recs[0].Pos))
	good := s.cpf.f
	readOnly, err := os.Open(good.Name())
	require.NoError(t, err)
	s.cpf.f = readOnly // a write to it fails, like a disk's I/O error
	err = s.Commit(recs[2].Pos)
	require.ErrorContains(t, err, "spool: write checkpoint")
	require.EqualValues(t, 3, s.Stats().PendingRecords, "nothing committed")
	s.cpf.f = good
	require.NoError(t, readOnly.Close())
	require.NoError(t, s.Commit(recs[2].Pos))
	require.EqualValues(t, 1, s.Stats().PendingRecords)
	require.NoError(t, s.Close())
	s = openT(t, Options{Dir: dir})
	require.Equal(t, payloads("f", 4)[3:], datas(nextN(t, s, 1, 10)))
}
