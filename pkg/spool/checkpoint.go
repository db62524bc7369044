package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math"
	"os"
	"path/filepath"
)

// The checkpoint file is created once, at its full size, and from then on overwritten in place: a commit writes
// bytes that already have disk blocks, so it works on a full disk (the receiver's spool once wedged there when
// replacing the file needed a new one). It has two slots in different 512-byte sectors and a commit writes the
// slot that does not hold the newest checkpoint: a write torn by a crash spoils only that slot, and the other still
// holds the previous checkpoint (whose records are then handed out again: at-least-once).
const (
	checkpointName    = "checkpoint"
	checkpointTmpName = "checkpoint.tmp" // exists only while the file is created or converted, at Open
	checkpointMagic   = "FBSPCKP2"
	checkpointSlots   = 2
	checkpointStride  = 512 // a slot per sector
	checkpointSize    = checkpointSlots * checkpointStride
	slotBytes         = 36 // used bytes of a slot

	// The format before slots: one 28-byte record, replaced by rename on every commit. Open converts it.
	legacyCheckpointMagic = "FBSPCKP1"
	legacyCheckpointSize  = 28
)

// encodeSlot is one slot:
//
//	bytes 0..8   magic "FBSPCKP2"
//	bytes 8..16  uint64, little endian: generation (each commit writes the last one's plus one)
//	bytes 16..24 uint64, little endian: segment number of the last consumed record
//	bytes 24..32 uint64, little endian: offset just after the last consumed record
//	bytes 32..36 uint32, little endian: CRC-32C of bytes 0..32
func encodeSlot(gen uint64, p Position) []byte {
	b := make([]byte, slotBytes)
	copy(b, checkpointMagic)
	binary.LittleEndian.PutUint64(b[8:16], gen)
	binary.LittleEndian.PutUint64(b[16:24], p.Segment)
	binary.LittleEndian.PutUint64(b[24:32], uint64(p.Offset))
	binary.LittleEndian.PutUint32(b[32:36], crc32.Checksum(b[:32], castagnoli))
	return b
}

func decodeSlot(b []byte) (gen uint64, p Position, ok bool) {
	if len(b) < slotBytes || string(b[:8]) != checkpointMagic ||
		binary.LittleEndian.Uint32(b[32:36]) != crc32.Checksum(b[:32], castagnoli) {
		return 0, Position{}, false
	}
	off := binary.LittleEndian.Uint64(b[24:32])
	if off > math.MaxInt64 {
		return 0, Position{}, false
	}
	return binary.LittleEndian.Uint64(b[8:16]), Position{Segment: binary.LittleEndian.Uint64(b[16:24]), Offset: int64(off)}, true
}

// checkpointState is what a checkpoint file says.
type checkpointState struct {
	pos    Position
	gen    uint64 // generation of the newest valid slot
	legacy bool   // the 28-byte format of before, to be converted
}

// decodeCheckpoint reads a checkpoint file's bytes: the newest valid slot wins. A file with no valid slot, of
// another size, or with two valid slots of one generation that disagree is corrupt.
func decodeCheckpoint(b []byte) (checkpointState, error) {
	if len(b) == legacyCheckpointSize && string(b[:8]) == legacyCheckpointMagic {
		if binary.LittleEndian.Uint32(b[24:28]) != crc32.Checksum(b[:24], castagnoli) {
			return checkpointState{}, errors.New("checksum mismatch")
		}
		off := binary.LittleEndian.Uint64(b[16:24])
		if off > math.MaxInt64 {
			return checkpointState{}, fmt.Errorf("offset %d", off)
		}
		return checkpointState{pos: Position{Segment: binary.LittleEndian.Uint64(b[8:16]), Offset: int64(off)}, legacy: true}, nil
	}
	if len(b) != checkpointSize {
		return checkpointState{}, fmt.Errorf("%d bytes, want %d", len(b), checkpointSize)
	}
	var st checkpointState
	found := false
	for i := range checkpointSlots {
		gen, p, ok := decodeSlot(b[i*checkpointStride : i*checkpointStride+slotBytes])
		switch {
		case !ok:
		case !found || gen > st.gen:
			st, found = checkpointState{pos: p, gen: gen}, true
		case gen == st.gen && p != st.pos:
			return checkpointState{}, fmt.Errorf("both slots have generation %d but name %v and %v", gen, st.pos, p)
		}
	}
	if !found {
		return checkpointState{}, errors.New("no valid slot")
	}
	return st, nil
}

// checkpointFile is the open checkpoint; Commit (serialized by commitMu) writes it.
type checkpointFile struct {
	f   *os.File
	gen uint64
}

// openCheckpoint opens the checkpoint file of dir, creating it (at the zero position) or converting the legacy
// format first; those two need disk space once, at Open. A crash while doing so leaves checkpoint.tmp, which is
// removed, and the previous file.
func openCheckpoint(dir string) (*checkpointFile, Position, error) {
	path := filepath.Join(dir, checkpointName)
	if err := os.Remove(filepath.Join(dir, checkpointTmpName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, Position{}, fmt.Errorf("spool: %w", err)
	}
	var st checkpointState
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		err = createCheckpoint(dir, Position{})
	case err != nil:
	default:
		if st, err = decodeCheckpoint(b); err != nil {
			return nil, Position{}, fmt.Errorf("spool: corrupt checkpoint file %s: %w", path, err)
		}
		if st.legacy {
			err = createCheckpoint(dir, st.pos)
		}
	}
	if err != nil {
		return nil, Position{}, fmt.Errorf("spool: checkpoint: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, Position{}, fmt.Errorf("spool: checkpoint: %w", err)
	}
	return &checkpointFile{f: f, gen: st.gen}, st.pos, nil
}

// createCheckpoint writes a full-size checkpoint file holding p (generation 0) and puts it in place atomically.
func createCheckpoint(dir string, p Position) error {
	tmp := filepath.Join(dir, checkpointTmpName)
	b := make([]byte, checkpointSize)
	copy(b, encodeSlot(0, p))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, checkpointName))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("create %s (disk space is needed for it once): %w", filepath.Join(dir, checkpointName), err)
	}
	return nil
}

// write durably records p in the slot that does not hold the newest checkpoint. On failure the generation stays,
// so a retry writes the same slot again.
func (c *checkpointFile) write(p Position) error {
	gen := c.gen + 1
	if _, err := c.f.WriteAt(encodeSlot(gen, p), int64(gen%checkpointSlots)*checkpointStride); err != nil {
		return fmt.Errorf("spool: write checkpoint %s: %w", c.f.Name(), err)
	}
	if err := c.f.Sync(); err != nil {
		return fmt.Errorf("spool: fsync checkpoint %s: %w", c.f.Name(), err)
	}
	c.gen = gen
	return nil
}

func (c *checkpointFile) close() error { return c.f.Close() }
