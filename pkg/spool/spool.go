package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Spool. Zero values select the defaults.
type Options struct {
	// Dir is the spool directory; it is created if missing.
	Dir string
	// MaxBytes bounds the bytes (record headers included) of records that are
	// durable or being written but not yet committed. Append returns ErrFull
	// when a record would exceed it. Default 1 GiB.
	MaxBytes int64
	// SegmentBytes is the size at which segment files are rotated.
	// Default 64 MiB.
	SegmentBytes int64
	// MaxRecordBytes is the largest payload Append accepts (ErrRecordTooLarge
	// beyond it). Default 16 MiB.
	MaxRecordBytes int
	// Logger receives recovery warnings and I/O errors. May be nil.
	Logger *slog.Logger
	// ObserveSync, if set, is told how long each write-and-fsync of a batch of records took: what every Append of
	// the batch waited for, besides SyncInterval.
	ObserveSync func(time.Duration)
	// SyncInterval is the least time from the start of one write-and-fsync to the start of the next: records
	// appended meanwhile wait for it and share the next fsync. An fsync costs about the same CPU whatever it
	// carries, so under load fewer, larger ones cost less; an Append after a quiet spell is not delayed.
	// Default 0: the next batch starts as soon as the last is durable.
	SyncInterval time.Duration
	// MinFreeBytes is disk space Append leaves free on the spool's file system: a record that would leave less is
	// refused with a *DiskLowError (which is also ErrFull) before the disk is full, so that the spool's own files,
	// ClickHouse and the system are never starved. The space is measured at Open, after segments are deleted, every
	// DiskCheckInterval and after every write once less than twice MinFreeBytes is left (farther from it, a write's
	// bytes are subtracted from the last measurement). 0: not checked (then a full disk fails Append with the
	// write's error).
	MinFreeBytes int64
	// DiskCheckInterval is how often free disk space is measured besides after writes and deletions: space freed or
	// taken by others is noticed within it. Default 1s.
	DiskCheckInterval time.Duration
}

const (
	DefaultMaxBytes       int64 = 1 << 30
	DefaultSegmentBytes   int64 = 64 << 20
	DefaultMaxRecordBytes       = 16 << 20

	headerSize = 8
	// spareBufLimit is the largest batch buffer kept for reuse.
	spareBufLimit = 16 << 20
)

var (
	// ErrFull is returned by Append when the record would make the unconsumed
	// data exceed Options.MaxBytes. Nothing is written. Map it to HTTP 503.
	ErrFull = errors.New("spool: full")
	// ErrClosed is returned by operations on a closed Spool.
	ErrClosed = errors.New("spool: closed")
	// ErrRecordTooLarge is returned by Append for payloads larger than
	// Options.MaxRecordBytes (map it to HTTP 413).
	ErrRecordTooLarge = errors.New("spool: record too large")
	// ErrEmptyRecord is returned by Append for an empty payload.
	ErrEmptyRecord = errors.New("spool: empty record")
	// ErrUnknownPosition is returned by Commit for a position that is not the
	// end of a record handed out by Next in this run.
	ErrUnknownPosition = errors.New("spool: commit position was not handed out by Next")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// DiskLowError is returned by Append (and Health) when a record would leave less than Options.MinFreeBytes free on
// the spool's file system. errors.Is(err, ErrFull) holds for it: the sender should retry later.
type DiskLowError struct {
	Dir     string
	Free    int64 // bytes free on the file system, less those of records being written
	MinFree int64
}

func (e *DiskLowError) Error() string {
	return fmt.Sprintf("spool: disk almost full: %d bytes free on the file system of %s, %d are kept free", e.Free, e.Dir, e.MinFree)
}

// Is makes a DiskLowError an ErrFull.
func (e *DiskLowError) Is(target error) bool { return target == ErrFull }

// Position identifies the byte just after a record.
type Position struct {
	Segment uint64
	Offset  int64
}

// Compare returns -1, 0 or +1 as p is before, equal to or after q.
func (p Position) Compare(q Position) int {
	switch {
	case p.Segment < q.Segment:
		return -1
	case p.Segment > q.Segment:
		return 1
	case p.Offset < q.Offset:
		return -1
	case p.Offset > q.Offset:
		return 1
	}
	return 0
}

func (p Position) String() string { return fmt.Sprintf("%d:%d", p.Segment, p.Offset) }

// Record is a record handed out by Next. Data is owned by the caller.
type Record struct {
	Pos  Position
	Data []byte
}

// Stats describes the spool. Pending means appended (durable) but not
// committed, including records handed out by Next but not yet committed.
type Stats struct {
	PendingRecords int64
	PendingBytes   int64 // including the 8-byte record headers
	Segments       int   // segment files on disk
}

type segment struct {
	num  uint64
	size int64 // durable size: only bytes below it are ever read
}

// batch collects the records of one group commit.
type batch struct {
	buf  []byte // encoded records, back to back
	ends []int  // end offset of each record in buf
	done chan struct{}
	// Set by the writer before done is closed: records with index >= failFrom
	// were not stored (or not known to be stored) and get err.
	err      error
	failFrom int
}

func (b *batch) start(i int) int {
	if i == 0 {
		return 0
	}
	return b.ends[i-1]
}

// handed remembers a record handed out by Next until it is committed.
type handed struct {
	pos      Position
	cumRecs  int64 // records handed out since Open, up to and including this one
	cumBytes int64
}

// Spool is a durable on-disk queue. See the package documentation.
type Spool struct {
	opts Options
	log  *slog.Logger
	dir  string
	lock *os.File

	mu        sync.Mutex
	writeCond *sync.Cond // cur got records, or closed
	closed    bool
	closedCh  chan struct{}
	failErr   error // sticky: set after an fsync failure
	cur       *batch
	spareBuf  []byte
	spareEnds []int
	usedBytes int64 // pending (durable, uncommitted) + reserved by queued appends
	segs      []segment
	// cumulative counters since Open; recovered pending records count as appended
	appendedRecs, appendedBytes   int64
	handedRecs, handedBytes       int64
	committedRecs, committedBytes int64
	checkpoint                    Position
	outstanding                   []handed
	notify                        chan struct{} // closed when records become durable
	nextWaiting                   bool

	writerDone chan struct{}
	// owned by the writer goroutine (and Open/Close around it)
	wf    *os.File
	wSeg  uint64
	wSize int64

	readMu sync.Mutex // serializes Next; guards rd
	rd     reader

	commitMu sync.Mutex      // serializes Commit
	cpf      *checkpointFile // written by Commit

	// Free disk space (guarded by mu): diskFree is what the last measurement found, unwritten the bytes of records
	// Append took that are not written yet; lowRefused is the size of a record refused for disk space since the
	// last accepted one (what Health waits to fit). drained asks the writer to start a new segment because every
	// record is committed, so that the old one can be deleted.
	diskFree, unwritten, lowRefused int64
	drained                         bool
	// statMu makes measuring and writing exclusive, so that a measurement and the unwritten count agree.
	statMu    sync.Mutex
	statErr   bool // the last measurement failed (logged once)
	watchDone chan struct{}

	// syncs counts data fsyncs of segment files (observability for tests and
	// benchmarks only).
	syncs atomic.Int64
	// syncFile is f.Sync; tests replace it to inject failures or delays.
	syncFile func(*os.File) error
}

// Open opens (or creates) the spool in opts.Dir, recovers it (see the package
// documentation) and starts the writer goroutine.
func Open(opts Options) (*Spool, error) {
	if opts.Dir == "" {
		return nil, errors.New("spool: Options.Dir is required")
	}
	if opts.MaxBytes < 0 || opts.SegmentBytes < 0 || opts.MaxRecordBytes < 0 {
		return nil, errors.New("spool: negative size in Options")
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.SegmentBytes == 0 {
		opts.SegmentBytes = DefaultSegmentBytes
	}
	if opts.MaxRecordBytes == 0 {
		opts.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if int64(opts.MaxRecordBytes) > math.MaxUint32 {
		return nil, fmt.Errorf("spool: MaxRecordBytes %d exceeds the format limit %d", opts.MaxRecordBytes, uint32(math.MaxUint32))
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	lock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	s := &Spool{
		opts:       opts,
		log:        log.With("component", "spool", "dir", opts.Dir),
		dir:        opts.Dir,
		lock:       lock,
		closedCh:   make(chan struct{}),
		notify:     make(chan struct{}),
		writerDone: make(chan struct{}),
		syncFile:   (*os.File).Sync,
		diskFree:   math.MaxInt64,
		watchDone:  make(chan struct{}),
	}
	if opts.DiskCheckInterval <= 0 {
		s.opts.DiskCheckInterval = time.Second
	}
	s.writeCond = sync.NewCond(&s.mu)
	s.cur = &batch{done: make(chan struct{}), failFrom: math.MaxInt}
	if err := s.recover(); err != nil {
		if s.wf != nil {
			_ = s.wf.Close()
		}
		if s.cpf != nil {
			_ = s.cpf.close()
		}
		_ = unlockDir(lock)
		return nil, err
	}
	// A spool that was drained when it closed holds its last segment until a commit: free it now.
	s.drained = s.appendedBytes == 0 && s.segs[len(s.segs)-1].size > 0
	s.measureDisk()
	go s.writeLoop()
	go s.watchDisk()
	return s, nil
}

func (s *Spool) segPath(num uint64) string {
	return filepath.Join(s.dir, segName(num))
}

// Append durably stores payload. It returns nil only after the record has been
// written and fsync'd (group commit with concurrent Appends); the payload is
// copied, the caller may reuse it as soon as Append returns.
//
// It returns ErrEmptyRecord, ErrRecordTooLarge, ErrFull or ErrClosed without
// writing anything. If ctx is already done, Append returns ctx.Err() without
// writing. If ctx ends while the record is queued or being written, Append
// returns ctx.Err() and the record may or may not be stored; if it is stored
// it will be handed out by Next like any other record (the sender's retry can
// therefore produce a duplicate, which the idempotent consumer absorbs).
// Any other error means the record was not stored in this run (after an
// fsync failure it may still appear after a restart: at-least-once).
func (s *Spool) Append(ctx context.Context, payload []byte) error {
	if len(payload) == 0 {
		return ErrEmptyRecord
	}
	if len(payload) > s.opts.MaxRecordBytes {
		return fmt.Errorf("%w: %d bytes > %d", ErrRecordTooLarge, len(payload), s.opts.MaxRecordBytes)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var hdr [headerSize]byte
	binary.LittleEndian.PutUint32(hdr[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint32(hdr[4:8], crc32.Checksum(payload, castagnoli))
	size := int64(headerSize + len(payload))

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.failErr != nil {
		err := s.failErr
		s.mu.Unlock()
		return err
	}
	if s.usedBytes+size > s.opts.MaxBytes {
		s.mu.Unlock()
		return ErrFull
	}
	if err := s.diskRoomLocked(size); err != nil {
		s.lowRefused = size
		s.mu.Unlock()
		return err
	}
	s.lowRefused = 0
	s.usedBytes += size
	s.unwritten += size
	b := s.cur
	idx := len(b.ends)
	b.buf = append(b.buf, hdr[:]...)
	b.buf = append(b.buf, payload...)
	b.ends = append(b.ends, len(b.buf))
	if idx == 0 {
		s.writeCond.Signal()
	}
	s.mu.Unlock()

	select {
	case <-b.done:
		if idx >= b.failFrom {
			return b.err
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writeLoop is the single writer goroutine: it takes all queued records,
// writes and fsyncs them, and releases their waiters.
func (s *Spool) writeLoop() {
	defer close(s.writerDone)
	var lastStart time.Time
	for {
		s.mu.Lock()
		for len(s.cur.ends) == 0 && !s.closed && !s.drained {
			s.writeCond.Wait()
		}
		if s.drained {
			s.drained = false
			if s.appendedBytes == s.committedBytes && s.segs[len(s.segs)-1].size > 0 {
				s.mu.Unlock()
				s.freeDrained()
				continue
			}
		}
		if len(s.cur.ends) == 0 {
			if s.closed { // and drained
				s.mu.Unlock()
				return
			}
			s.mu.Unlock()
			continue
		}
		if wait := s.opts.SyncInterval - time.Since(lastStart); wait > 0 && !s.closed {
			s.mu.Unlock()
			time.Sleep(wait)
			s.mu.Lock()
		}
		lastStart = time.Now()
		b := s.cur
		s.cur = &batch{buf: s.spareBuf, ends: s.spareEnds, done: make(chan struct{}), failFrom: math.MaxInt}
		s.spareBuf, s.spareEnds = nil, nil
		s.mu.Unlock()

		s.writeBatch(b)
		buf, ends := b.buf[:0], b.ends[:0]
		close(b.done) // waiters only read b.err and b.failFrom from here on

		if cap(buf) <= spareBufLimit {
			s.mu.Lock()
			s.spareBuf, s.spareEnds = buf, ends
			s.mu.Unlock()
		}
	}
}

// writeBatch writes b in chunks, one per segment it touches; every chunk is
// written with one write call and fsync'd once before it is published.
func (s *Spool) writeBatch(b *batch) {
	n := len(b.ends)
	i := 0
	measured := 0 // bytes of b.buf that left the unwritten count
	var err error
	for i < n {
		s.mu.Lock()
		err = s.failErr
		s.mu.Unlock()
		if err != nil {
			break
		}
		start := b.start(i)
		if s.wSize > 0 && s.wSize+int64(b.ends[i]-start) > s.opts.SegmentBytes {
			if err = s.rotate(); err != nil {
				break
			}
		}
		j := i + 1
		for j < n && s.wSize+int64(b.ends[j]-start) <= s.opts.SegmentBytes {
			j++
		}
		chunk := b.buf[start:b.ends[j-1]]
		s.statMu.Lock()
		err = s.writeChunk(chunk)
		s.wrote(int64(len(chunk)), err == nil)
		s.statMu.Unlock()
		measured = b.ends[j-1]
		if err != nil {
			break
		}
		s.mu.Lock()
		s.segs[len(s.segs)-1].size = s.wSize
		s.appendedRecs += int64(j - i)
		s.appendedBytes += int64(len(chunk))
		if s.nextWaiting {
			s.nextWaiting = false
			close(s.notify)
			s.notify = make(chan struct{})
		}
		s.mu.Unlock()
		i = j
	}
	if err != nil {
		b.err, b.failFrom = err, i
		s.mu.Lock()
		s.usedBytes -= int64(len(b.buf) - b.start(i))
		s.unwritten -= int64(len(b.buf) - measured) // never to be written
		s.mu.Unlock()
	}
}

func (s *Spool) writeChunk(chunk []byte) error {
	if s.opts.ObserveSync != nil {
		defer func(start time.Time) { s.opts.ObserveSync(time.Since(start)) }(time.Now())
	}
	if _, err := s.wf.WriteAt(chunk, s.wSize); err != nil {
		err = fmt.Errorf("spool: write %s: %w", s.wf.Name(), err)
		// Drop whatever part was written so the next write starts clean.
		if terr := s.wf.Truncate(s.wSize); terr != nil {
			s.fail(fmt.Errorf("%w; truncating it back failed: %v", err, terr))
		}
		s.log.Error("spool write failed", "err", err)
		return err
	}
	if err := s.syncFile(s.wf); err != nil {
		// After a failed fsync the state of the page cache is unknown
		// (dirty pages may have been dropped): refuse further appends.
		err = fmt.Errorf("spool: fsync %s: %w (spool unusable until reopened)", s.wf.Name(), err)
		s.fail(err)
		return err
	}
	s.syncs.Add(1)
	s.wSize += int64(len(chunk))
	return nil
}

func (s *Spool) fail(err error) {
	s.log.Error("spool failed", "err", err)
	s.mu.Lock()
	if s.failErr == nil {
		s.failErr = err
	}
	s.mu.Unlock()
}

// rotate seals the current segment (already fsync'd) and starts the next one.
func (s *Spool) rotate() error {
	next := s.wSeg + 1
	path := s.segPath(next)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("spool: create segment: %w", err)
	}
	if err := syncDir(s.dir); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return fmt.Errorf("spool: create segment %s: %w", path, err)
	}
	old := s.wf
	s.wf, s.wSeg, s.wSize = f, next, 0
	s.mu.Lock()
	s.segs = append(s.segs, segment{num: next})
	s.mu.Unlock()
	if err := old.Close(); err != nil {
		s.log.Warn("closing sealed segment", "file", old.Name(), "err", err)
	}
	return nil
}

// Stats returns current counters.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{
		PendingRecords: s.appendedRecs - s.committedRecs,
		PendingBytes:   s.appendedBytes - s.committedBytes,
		Segments:       len(s.segs),
	}
}

// Close writes and fsyncs the records already queued by Append, stops the
// writer goroutine, wakes a blocked Next (ErrClosed) and releases the
// directory. Later Append, Next and Commit calls return ErrClosed. Records
// not committed are handed out again after the next Open. Close is
// idempotent.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closedCh)
	s.writeCond.Broadcast()
	s.mu.Unlock()

	<-s.writerDone
	var errs []error
	if err := s.wf.Close(); err != nil {
		errs = append(errs, fmt.Errorf("spool: close: %w", err))
	}
	s.readMu.Lock()
	s.rd.close()
	s.readMu.Unlock()
	s.commitMu.Lock() // wait for a Commit in progress
	if err := s.cpf.close(); err != nil {
		errs = append(errs, fmt.Errorf("spool: close checkpoint: %w", err))
	}
	s.commitMu.Unlock()
	<-s.watchDone
	if err := unlockDir(s.lock); err != nil {
		errs = append(errs, fmt.Errorf("spool: unlock: %w", err))
	}
	return errors.Join(errs...)
}

// wrote accounts for a chunk of records written (ok) or not: they leave the unwritten count, and what was written
// comes off the free space. It is measured again only near MinFreeBytes or after a failure (a statfs per write
// doubled the CPU time of an append where fsync is cheap); the periodic measurement corrects the estimate for
// block rounding and others' writes. Callers hold statMu.
func (s *Spool) wrote(n int64, ok bool) {
	s.mu.Lock()
	s.unwritten -= n
	if ok {
		s.diskFree -= n
	}
	near := s.opts.MinFreeBytes > 0 && s.diskFree-s.unwritten < 2*s.opts.MinFreeBytes
	s.mu.Unlock()
	if near || !ok {
		s.measureDisk()
	}
}

// measureDisk measures the free space of the spool's file system. Callers hold statMu (but Open).
func (s *Spool) measureDisk() {
	free, err := measureFree(s.dir)
	s.mu.Lock()
	if err == nil {
		s.diskFree = free
	}
	failedBefore := s.statErr
	s.statErr = err != nil
	s.mu.Unlock()
	switch {
	case err != nil && !failedBefore:
		s.log.Warn("cannot measure free disk space; the last measurement stays in force", "err", err,
			"min_free_bytes", s.opts.MinFreeBytes)
	case err == nil && failedBefore:
		s.log.Info("free disk space measured again", "free_bytes", free)
	}
}

// measureFree is diskFree; tests replace it to fill and free a disk.
var measureFree = diskFree

// watchDisk measures free disk space every DiskCheckInterval, so that space freed by others is noticed.
func (s *Spool) watchDisk() {
	defer close(s.watchDone)
	t := time.NewTicker(s.opts.DiskCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-s.closedCh:
			return
		case <-t.C:
			s.statMu.Lock()
			s.measureDisk()
			s.statMu.Unlock()
		}
	}
}

// diskRoomLocked returns a *DiskLowError if a record of size bytes would leave less than MinFreeBytes free.
func (s *Spool) diskRoomLocked(size int64) error {
	if s.opts.MinFreeBytes <= 0 || s.diskFree-s.unwritten-size >= s.opts.MinFreeBytes {
		return nil
	}
	return &DiskLowError{Dir: s.dir, Free: max(s.diskFree-s.unwritten, 0), MinFree: s.opts.MinFreeBytes}
}

// DiskFree is the free space of the spool's file system as last measured, less the records being written.
func (s *Spool) DiskFree() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.diskFree - s.unwritten
}

// Health returns why Append cannot take a record now, or nil: the spool is closed or failed, or the disk has too
// little free space (*DiskLowError) for the smallest record, or for the last one refused for disk space. It does
// not report the MaxBytes bound (see Stats). It comes back to nil by itself once a commit or others free space.
func (s *Spool) Health() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case s.failErr != nil:
		return s.failErr
	}
	return s.diskRoomLocked(max(s.lowRefused, headerSize+1))
}
