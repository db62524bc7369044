package ingest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"sync"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/webhook"
)

// Spool records. A notification is stored as the body that was received, behind a 9-byte header (format byte 1,
// then the receive time in Unix nanoseconds, big-endian): re-encoding it would cost as much as decoding it, and
// the bytes as received are the better record. Commands, and records written by earlier versions, are a JSON
// Envelope (first byte '{').
const (
	recordNotification byte = 1
	notificationHeader      = 9
)

// NotificationRecord is the spool record of a notification body received at receivedAt.
func NotificationRecord(receivedAt time.Time, body []byte) []byte {
	rec := make([]byte, notificationHeader, notificationHeader+len(body))
	putNotificationHeader(rec, receivedAt)
	return append(rec, body...)
}

func putNotificationHeader(rec []byte, receivedAt time.Time) {
	rec[0] = recordNotification
	binary.BigEndian.PutUint64(rec[1:notificationHeader], uint64(receivedAt.UnixNano()))
}

// ReadNotificationRecord reads a notification body from r straight into its spool record (as NotificationRecord
// makes it), so the body is not copied again. sizeHint is the expected length (Content-Length), or negative if
// unknown. It returns the record and the body within it.
func ReadNotificationRecord(r io.Reader, sizeHint int64, receivedAt time.Time) (record, body []byte, err error) {
	size := 512
	if sizeHint >= 0 {
		size = int(sizeHint) + 1 // room to read EOF without growing
	}
	rec := make([]byte, notificationHeader, notificationHeader+size)
	for {
		if len(rec) == cap(rec) {
			rec = append(rec, 0)[:len(rec)]
		}
		n, err := r.Read(rec[len(rec):cap(rec)])
		rec = rec[:len(rec)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
	}
	putNotificationHeader(rec, receivedAt)
	return rec, rec[notificationHeader:], nil
}

// DecodeRecord reads a spool record of any version.
func DecodeRecord(data []byte) (Envelope, error) {
	switch {
	case len(data) >= notificationHeader && data[0] == recordNotification:
		n, err := webhook.Decode(data[notificationHeader:])
		if err != nil {
			return Envelope{}, fmt.Errorf("notification record: %w", err)
		}
		return Envelope{ReceivedAt: receivedAt(data), Notification: n}, nil
	case len(data) > 0 && data[0] == '{':
		var env Envelope
		if err := json.Unmarshal(data, &env); err != nil {
			return Envelope{}, fmt.Errorf("envelope record: %w", err)
		}
		if (env.Notification == nil) == (env.Command == nil) {
			return Envelope{}, errors.New("envelope record: want exactly one of notification and command")
		}
		return env, nil
	}
	return Envelope{}, errors.New("unknown spool record format")
}

func receivedAt(data []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(data[1:notificationHeader]))).UTC()
}

// Decoded hands the notifications the HTTP handler has already decoded (to validate them) to the processor, so the
// normal path decodes each body once. The processor decodes from the spool whatever it does not find here: records
// from before a restart, or beyond the cap.
type Decoded struct {
	mu      sync.Mutex
	seed    maphash.Seed
	entries map[uint64][]decodedEntry
	n       int
	bytes   int // of the records held
}

type decodedEntry struct {
	record []byte
	n      *webhook.Notification
}

// maxDecoded bounds what Decoded holds: about 3 KiB of heap each. A second at 4,000 notifications/s covers the
// processor's linger; beyond it (the processor behind, ClickHouse down) the spool's bytes are decoded instead,
// which keeps the heap, and so the garbage collector's work near --memory-limit, small (20,000 cost 20% of the
// receiver's throughput in the load benchmark).
const maxDecoded = 4096

// maxDecodedBytes bounds it by the records' bytes too (a decoded notification takes one to three times its body): 4,096
// notifications of a few KiB fit, 4,096 of several MiB would not.
const maxDecodedBytes = 16 << 20

// Put offers the decoded notification of a record about to be spooled. The record's bytes must not change after.
func (d *Decoded) Put(record []byte, n *webhook.Notification) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.entries == nil {
		d.seed, d.entries = maphash.MakeSeed(), map[uint64][]decodedEntry{}
	}
	if d.n >= maxDecoded || d.bytes+len(record) > maxDecodedBytes {
		return
	}
	h := maphash.Bytes(d.seed, record)
	d.entries[h] = append(d.entries[h], decodedEntry{record, n})
	d.n++
	d.bytes += len(record)
}

// Forget drops what Put offered for a record that was not spooled after all.
func (d *Decoded) Forget(record []byte) { d.take(record) }

// take returns and forgets the notification decoded from these record bytes, or nil.
func (d *Decoded) take(record []byte) *webhook.Notification {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == 0 {
		return nil
	}
	h := maphash.Bytes(d.seed, record)
	list := d.entries[h]
	for i, e := range list {
		if bytes.Equal(e.record, record) {
			list = append(list[:i], list[i+1:]...)
			if len(list) == 0 {
				delete(d.entries, h)
			} else {
				d.entries[h] = list
			}
			d.n--
			d.bytes -= len(e.record)
			return e.n
		}
	}
	return nil
}

// Decode reads a spool record (nil d: from its bytes), taking its notification from d when the handler left it there.
func (d *Decoded) Decode(data []byte) (Envelope, error) {
	if len(data) >= notificationHeader && data[0] == recordNotification {
		if n := d.take(data); n != nil {
			return Envelope{ReceivedAt: receivedAt(data), Notification: n}, nil
		}
	}
	return DecodeRecord(data)
}
