package spool

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// FuzzRecover writes arbitrary bytes as a segment file and checks that Open
// neither panics nor hangs, that a torn last segment is always recovered to
// its longest valid prefix, and that the same bytes in a sealed (non-last)
// segment are accepted only if they are entirely valid.
func FuzzRecover(f *testing.F) {
	f.Add([]byte{})
	f.Add(frame([]byte("hello")))
	f.Add(append(frame([]byte("hello")), frame([]byte("world"))...))
	f.Add(append(frame([]byte("hello")), 3, 0, 0))
	f.Add(append(frame([]byte("hello")), frame([]byte("torn"))[:10]...))
	f.Add(append(frame([]byte("hello")), make([]byte, 64)...))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1})
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 'x'}) // bad CRC
	f.Add([]byte("garbage that is definitely not a spool segment"))

	f.Fuzz(func(t *testing.T, data []byte) {
		// The valid prefix, computed independently of scanSegment.
		var want []string
		var validLen int
		for rest := data; len(rest) >= headerSize; {
			n := int(uint32(rest[0]) | uint32(rest[1])<<8 | uint32(rest[2])<<16 | uint32(rest[3])<<24)
			if n == 0 || n > len(rest)-headerSize {
				break
			}
			payload := rest[headerSize : headerSize+n]
			if string(frame(payload)) != string(rest[:headerSize+n]) {
				break
			}
			want = append(want, string(payload))
			validLen += headerSize + n
			rest = rest[headerSize+n:]
		}

		// As the last segment: Open always succeeds and truncates.
		dir := t.TempDir()
		if err := os.WriteFile(segFile(dir, 1), data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Open(Options{Dir: dir})
		if err != nil {
			t.Fatalf("Open with a torn last segment: %v", err)
		}
		if got := s.Stats().PendingRecords; got != int64(len(want)) {
			t.Fatalf("PendingRecords = %d, want %d", got, len(want))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		var got []string
		for {
			recs, err := s.Next(ctx, 1000)
			if err != nil {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Next: %v", err)
				}
				break
			}
			for _, r := range recs {
				got = append(got, string(r.Data))
			}
		}
		if len(got) != len(want) {
			t.Fatalf("got %d records, want %d", len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("record %d = %q, want %q", i, got[i], want[i])
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(segFile(dir, 1)); err != nil || fi.Size() != int64(validLen) {
			t.Fatalf("segment not truncated to %d bytes: %v %v", validLen, fi, err)
		}

		// As a sealed segment followed by another one.
		dir = t.TempDir()
		if err := os.WriteFile(segFile(dir, 1), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(segFile(dir, 2), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err = Open(Options{Dir: dir})
		if validLen == len(data) {
			if err != nil {
				t.Fatalf("Open of a valid sealed segment: %v", err)
			}
			_ = s.Close()
		} else {
			var ce *CorruptionError
			if !errors.As(err, &ce) || ce.Offset != int64(validLen) {
				t.Fatalf("Open of a corrupt sealed segment: got %v, want a CorruptionError at %d", err, validLen)
			}
			if s != nil {
				t.Fatal("Open returned a spool and an error")
			}
		}
	})
}

// FuzzDecodeCheckpoint checks that the checkpoint decoder never panics, that what it accepts is a slot (or legacy
// file) exactly as a commit writes it, and that it never picks a slot older than another valid one.
func FuzzDecodeCheckpoint(f *testing.F) {
	p := Position{Segment: 3, Offset: 77}
	f.Add([]byte{})
	f.Add(make([]byte, checkpointSize))
	f.Add(checkpointBytes(encodeSlot(0, Position{})))
	f.Add(checkpointBytes(encodeSlot(2, p), encodeSlot(1, Position{Segment: 3})))
	f.Add(checkpointBytes(torn(encodeSlot(0, p), encodeSlot(2, p), 20), encodeSlot(1, p)))
	f.Add(checkpointBytes(encodeSlot(5, p), encodeSlot(5, Position{Segment: 9})))
	f.Add(checkpointBytes(encodeSlot(1, Position{Segment: 1, Offset: -5})))
	f.Add(legacyCheckpoint(p))
	f.Add(legacyCheckpoint(p)[:27])
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decodeCheckpoint(b)
		if err != nil {
			return
		}
		if st.legacy {
			if string(legacyCheckpoint(st.pos)) != string(b) {
				t.Fatalf("accepted legacy bytes %x that encode differently", b)
			}
			return
		}
		want := encodeSlot(st.gen, st.pos)
		found := false
		for i := range checkpointSlots {
			slot := b[i*checkpointStride : i*checkpointStride+slotBytes]
			if string(slot) == string(want) {
				found = true
			}
			if gen, _, ok := decodeSlot(slot); ok && gen > st.gen {
				t.Fatalf("picked generation %d over %d", st.gen, gen)
			}
		}
		if !found {
			t.Fatalf("decoded %+v, which is in no slot", st)
		}
	})
}
