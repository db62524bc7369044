package spool

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"
)

// readAhead is how much of a segment the reader buffers per read call.
const readAhead = 256 << 10

// reader is the consumer's cursor; it is guarded by Spool.readMu.
type reader struct {
	seg    uint64
	off    int64 // offset of the next record to hand out in seg
	f      *os.File
	buf    []byte // bytes [bufOff, bufOff+len(buf)) of seg, all durable
	bufOff int64
	store  []byte
}

func (r *reader) switchTo(seg uint64) {
	r.close()
	r.seg, r.off = seg, 0
}

func (r *reader) close() {
	if r.f != nil {
		_ = r.f.Close()
		r.f = nil
	}
	r.buf = nil
}

// fetch returns n bytes at off of the current segment; off+n <= size, the
// durable size of the segment. The result is valid until the next fetch.
func (r *reader) fetch(off int64, n int, size int64) ([]byte, error) {
	if r.buf != nil && off >= r.bufOff && off+int64(n) <= r.bufOff+int64(len(r.buf)) {
		i := off - r.bufOff
		return r.buf[i : i+int64(n)], nil
	}
	want := max(n, readAhead)
	if int64(want) > size-off {
		want = int(size - off)
	}
	var b []byte
	if want > readAhead { // a large record: do not keep a big buffer around
		b = make([]byte, want)
		r.buf = nil
	} else {
		if cap(r.store) < readAhead {
			r.store = make([]byte, readAhead)
		}
		b = r.store[:want]
		r.buf, r.bufOff = b, off
	}
	if _, err := r.f.ReadAt(b, off); err != nil {
		r.buf = nil
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("spool: read %s at %d: %w", r.f.Name(), off, err)
	}
	return b[:n], nil
}

// read returns the record at r.off; size is the durable size of the segment.
func (r *reader) read(path string, size int64) (Record, error) {
	if r.f == nil {
		f, err := os.Open(path)
		if err != nil {
			return Record{}, fmt.Errorf("spool: %w", err)
		}
		r.f = f
	}
	off := r.off
	corrupt := func(reason string) error {
		return &CorruptionError{Path: path, Offset: off, Reason: reason}
	}
	if size-off < headerSize {
		return Record{}, corrupt("partial record header")
	}
	hdr, err := r.fetch(off, headerSize, size)
	if err != nil {
		return Record{}, err
	}
	n := int64(binary.LittleEndian.Uint32(hdr[0:4]))
	want := binary.LittleEndian.Uint32(hdr[4:8])
	if n == 0 || n > size-off-headerSize {
		return Record{}, corrupt(fmt.Sprintf("invalid record length %d", n))
	}
	data, err := r.fetch(off+headerSize, int(n), size)
	if err != nil {
		return Record{}, err
	}
	if got := crc32.Checksum(data, castagnoli); got != want {
		return Record{}, corrupt(fmt.Sprintf("checksum mismatch (stored %08x, computed %08x)", want, got))
	}
	end := off + headerSize + n
	r.off = end
	return Record{Pos: Position{Segment: r.seg, Offset: end}, Data: append([]byte(nil), data...)}, nil
}

// Next blocks until at least one record that has not been handed out in this
// run is durable, then returns up to max such records that are available
// now, in append order. It returns ctx.Err() if ctx ends first and ErrClosed
// once the spool is closed. Next is meant for a single consumer goroutine;
// concurrent calls are serialized and never return the same record twice.
//
// Every record handed out but not yet committed costs about 32 bytes of
// memory until Commit, so commit regularly.
//
// A *CorruptionError means a record in a segment failed its checksum when
// read back (disk corruption after it was written); records before it are
// returned first.
func (s *Spool) Next(ctx context.Context, max int) ([]Record, error) {
	if max <= 0 {
		return nil, fmt.Errorf("spool: Next: max must be positive, got %d", max)
	}
	s.readMu.Lock()
	defer s.readMu.Unlock()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, ErrClosed
		}
		if s.appendedBytes > s.handedBytes {
			// Copy the segments the reader has not finished yet.
			i, _ := slices.BinarySearchFunc(s.segs, s.rd.seg, func(sg segment, n uint64) int {
				switch {
				case sg.num < n:
					return -1
				case sg.num > n:
					return 1
				}
				return 0
			})
			segs := slices.Clone(s.segs[i:])
			s.mu.Unlock()
			return s.readRecords(segs, max)
		}
		s.nextWaiting = true
		ch := s.notify
		s.mu.Unlock()
		// Everything is read: the segment file is closed while waiting, so that deleting a drained segment frees
		// its space at once (an open file keeps it).
		s.rd.close()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.closedCh:
			return nil, ErrClosed
		}
	}
}

// readRecords reads up to max records starting at the reader's cursor. segs
// are the live segments from the cursor's segment on, with durable sizes.
func (s *Spool) readRecords(segs []segment, max int) ([]Record, error) {
	var out []Record
	var err error
	for k := 0; k < len(segs) && len(out) < max; {
		sg := segs[k]
		if sg.num != s.rd.seg {
			s.rd.switchTo(sg.num)
		}
		if s.rd.off >= sg.size {
			k++
			continue
		}
		var rec Record
		rec, err = s.rd.read(s.segPath(sg.num), sg.size)
		if err != nil {
			break
		}
		out = append(out, rec)
	}
	if len(out) == 0 {
		if err == nil {
			err = fmt.Errorf("spool: internal error: no record found at %d:%d although data is pending", s.rd.seg, s.rd.off)
		}
		return nil, err
	}
	s.mu.Lock()
	for _, rec := range out {
		s.handedRecs++
		s.handedBytes += int64(headerSize + len(rec.Data))
		s.outstanding = append(s.outstanding, handed{pos: rec.Pos, cumRecs: s.handedRecs, cumBytes: s.handedBytes})
	}
	s.mu.Unlock()
	return out, nil
}

// Commit durably records that every record up to and including the one
// ending at pos has been consumed: it overwrites the checkpoint in place (see
// checkpoint.go; no new disk space is needed), lowers the pending counts and
// deletes segment files that are fully consumed. Once every record is
// committed the writer starts a new segment, so that the last one is deleted
// too. pos must be the Pos of a record handed out by Next in this run
// (ErrUnknownPosition otherwise); committing a position at or before the
// current checkpoint is a no-op. After an error nothing changed and Commit
// may be called again.
func (s *Spool) Commit(pos Position) error {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if pos.Compare(s.checkpoint) <= 0 {
		s.mu.Unlock()
		return nil
	}
	i, found := slices.BinarySearchFunc(s.outstanding, pos, func(h handed, p Position) int { return h.pos.Compare(p) })
	if !found {
		s.mu.Unlock()
		return fmt.Errorf("%w: %v", ErrUnknownPosition, pos)
	}
	e := s.outstanding[i]
	s.mu.Unlock()

	if err := s.cpf.write(pos); err != nil {
		return err
	}

	s.mu.Lock()
	// Only Commit (serialized by commitMu) removes entries, so i is still valid.
	n := copy(s.outstanding, s.outstanding[i+1:])
	clear(s.outstanding[n:])
	s.outstanding = s.outstanding[:n]
	s.usedBytes -= e.cumBytes - s.committedBytes
	s.committedRecs, s.committedBytes = e.cumRecs, e.cumBytes
	s.checkpoint = pos
	del := s.takeConsumedLocked()
	if s.committedBytes == s.appendedBytes && s.segs[len(s.segs)-1].size > 0 {
		s.drained = true
		s.writeCond.Signal()
	}
	s.mu.Unlock()
	s.removeSegments(del)
	return nil
}

// takeConsumedLocked takes the segments whose records are all committed off the list, never the one being written
// (the last), and returns their numbers for removeSegments.
func (s *Spool) takeConsumedLocked() []uint64 {
	k := 0
	for k < len(s.segs)-1 {
		sg := s.segs[k]
		if sg.num < s.checkpoint.Segment || (sg.num == s.checkpoint.Segment && s.checkpoint.Offset >= sg.size) {
			k++
			continue
		}
		break
	}
	var del []uint64
	for _, sg := range s.segs[:k] {
		del = append(del, sg.num)
	}
	s.segs = slices.Delete(s.segs, 0, k)
	return del
}

// removeSegments deletes consumed segment files and measures the space that freed.
func (s *Spool) removeSegments(nums []uint64) {
	if len(nums) == 0 {
		return
	}
	for _, num := range nums {
		if err := os.Remove(s.segPath(num)); err != nil {
			s.log.Warn("removing consumed segment", "file", s.segPath(num), "err", err)
		}
	}
	s.statMu.Lock()
	s.measureDisk()
	s.statMu.Unlock()
}

// freeDrained runs in the writer when every record is committed: it starts a new segment and deletes the old one,
// so that a drained spool holds no records on disk. Creating the empty file needs no data blocks.
func (s *Spool) freeDrained() {
	if err := s.rotate(); err != nil {
		s.log.Warn("cannot start a new segment to free the drained one; tried again after the next commit", "err", err)
		return
	}
	s.mu.Lock()
	del := s.takeConsumedLocked()
	s.mu.Unlock()
	s.removeSegments(del)
}
