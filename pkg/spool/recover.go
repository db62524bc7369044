package spool

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

const (
	segmentExt    = ".seg"
	segmentDigits = 20
)

// CorruptionError reports a record that fails validation.
type CorruptionError struct {
	Path   string // segment file
	Offset int64  // offset of the record's header in the file
	Reason string
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("spool: corrupt record in %s at offset %d: %s", e.Path, e.Offset, e.Reason)
}

func segName(num uint64) string {
	return fmt.Sprintf("%0*d%s", segmentDigits, num, segmentExt)
}

func parseSegName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, segmentExt)
	if !ok || len(digits) != segmentDigits {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	return n, err == nil
}

func listSegments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	var nums []uint64
	for _, e := range entries {
		if n, ok := parseSegName(e.Name()); ok && e.Type().IsRegular() {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	return nums, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

type scanResult struct {
	end     int64 // end of the last valid record (or the start offset)
	recs    int64
	bytes   int64
	corrupt *CorruptionError // first invalid record, if any
}

// scanSegment validates the records of path from offset start to the end of
// the file. I/O errors are returned as err; invalid data as res.corrupt.
func scanSegment(path string, start int64) (res scanResult, err error) {
	f, err := os.Open(path)
	if err != nil {
		return res, fmt.Errorf("spool: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return res, fmt.Errorf("spool: %w", err)
	}
	size := fi.Size()
	if start > size {
		return res, fmt.Errorf("spool: checkpoint offset %d is beyond the end of %s (%d bytes)", start, path, size)
	}
	br := bufio.NewReaderSize(io.NewSectionReader(f, start, size-start), 1<<20)
	off := start
	bad := func(reason string) (scanResult, error) {
		res.end = off
		res.corrupt = &CorruptionError{Path: path, Offset: off, Reason: reason}
		return res, nil
	}
	var hdr [headerSize]byte
	for off < size {
		remaining := size - off
		if remaining < headerSize {
			return bad(fmt.Sprintf("partial record header (%d bytes)", remaining))
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return res, fmt.Errorf("spool: read %s: %w", path, err)
		}
		n := int64(binary.LittleEndian.Uint32(hdr[0:4]))
		want := binary.LittleEndian.Uint32(hdr[4:8])
		if n == 0 {
			return bad("zero record length")
		}
		if n > remaining-headerSize {
			return bad(fmt.Sprintf("record length %d exceeds the %d bytes left in the file", n, remaining-headerSize))
		}
		var crc uint32
		for left := int(n); left > 0; {
			p, err := br.Peek(min(left, br.Size()))
			if err != nil {
				return res, fmt.Errorf("spool: read %s: %w", path, err)
			}
			crc = crc32.Update(crc, castagnoli, p)
			_, _ = br.Discard(len(p))
			left -= len(p)
		}
		if crc != want {
			return bad(fmt.Sprintf("checksum mismatch (stored %08x, computed %08x)", want, crc))
		}
		off += headerSize + n
		res.recs++
		res.bytes += headerSize + n
	}
	res.end = off
	return res, nil
}

// recover rebuilds the in-memory state from the directory and opens the
// last segment for writing.
func (s *Spool) recover() error {
	cpf, cp, err := openCheckpoint(s.dir)
	if err != nil {
		return err
	}
	s.cpf = cpf
	nums, err := listSegments(s.dir)
	if err != nil {
		return err
	}
	var live []uint64
	for _, n := range nums {
		if n < cp.Segment { // fully consumed; a crash came between checkpoint and delete
			if err := os.Remove(s.segPath(n)); err != nil {
				return fmt.Errorf("spool: remove consumed segment: %w", err)
			}
			continue
		}
		live = append(live, n)
	}
	for k, n := range live {
		if k == 0 && cp.Segment > 0 && n > cp.Segment+1 {
			return fmt.Errorf("spool: segment %s is missing (checkpoint %v, next segment on disk %s)",
				segName(cp.Segment+1), cp, segName(n))
		}
		if k > 0 && n != live[k-1]+1 {
			return fmt.Errorf("spool: segment %s is missing (between %s and %s)",
				segName(live[k-1]+1), segName(live[k-1]), segName(n))
		}
	}

	for k, n := range live {
		start := int64(0)
		if n == cp.Segment {
			start = cp.Offset
		}
		path := s.segPath(n)
		res, err := scanSegment(path, start)
		if err != nil {
			return err
		}
		if res.corrupt != nil {
			if k != len(live)-1 {
				return res.corrupt
			}
			if err := truncateFile(path, res.end); err != nil {
				return fmt.Errorf("spool: truncating torn tail of %s: %w", path, err)
			}
			s.log.Warn("truncated torn or corrupt tail of the last segment",
				"file", path, "offset", res.corrupt.Offset, "reason", res.corrupt.Reason)
		}
		s.segs = append(s.segs, segment{num: n, size: res.end})
		s.appendedRecs += res.recs
		s.appendedBytes += res.bytes
	}
	s.usedBytes = s.appendedBytes
	s.checkpoint = cp
	s.rd.seg, s.rd.off = cp.Segment, cp.Offset

	if len(s.segs) == 0 {
		num := cp.Segment + 1
		f, err := os.OpenFile(s.segPath(num), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return fmt.Errorf("spool: create segment: %w", err)
		}
		s.wf = f
		if err := syncDir(s.dir); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		s.segs = append(s.segs, segment{num: num})
	} else {
		last := s.segs[len(s.segs)-1]
		f, err := os.OpenFile(s.segPath(last.num), os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		s.wf = f
	}
	last := s.segs[len(s.segs)-1]
	s.wSeg, s.wSize = last.num, last.size
	if s.appendedRecs > 0 || len(nums) > 0 {
		s.log.Info("spool recovered", "checkpoint", cp.String(), "pending_records", s.appendedRecs,
			"pending_bytes", s.appendedBytes, "segments", len(s.segs))
	}
	return nil
}

func truncateFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
