//go:build linux

package bench

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/ingest"
	"github.com/firebreak-dev/firebreak/pkg/webhook"
)

// BenchmarkNotificationCPU is the receiver's CPU work per notification of the load benchmark, without HTTP, disk
// and ClickHouse: validate (decode) the body, make the spool record, read it back, apply it to the state.
//
//   - envelope: the record is a JSON envelope of the decoded notification, decoded again by the processor (the
//     format before the raw record; the baseline);
//   - raw: the record is the body as received, and the processor takes the notification the handler decoded;
//   - raw-recovery: the same record, decoded from the bytes (after a restart).
func BenchmarkNotificationCPU(b *testing.B) {
	for _, mode := range []string{"envelope", "raw", "raw-recovery"} {
		b.Run(mode, func(b *testing.B) {
			p := newPayloads(0, 50)
			state := ingest.NewState(incident.DefaultMapping())
			decoded := &ingest.Decoded{}
			start := time.Now()
			var buf []byte
			b.ReportAllocs()
			for i := int64(0); b.Loop(); i++ {
				body, _ := p.body(buf[:0], i, start.Add(time.Duration(i)*time.Millisecond))
				buf = body
				n, err := webhook.Decode(body)
				if err != nil {
					b.Fatal(err)
				}
				var env ingest.Envelope
				switch mode {
				case "envelope":
					rec, err := json.Marshal(ingest.Envelope{ReceivedAt: start, Notification: n})
					if err == nil {
						err = json.Unmarshal(rec, &env)
					}
					if err != nil {
						b.Fatal(err)
					}
				case "raw":
					rec := ingest.NotificationRecord(start, body)
					decoded.Put(rec, n)
					env, err = decoded.Decode(append([]byte(nil), rec...)) // as read back from the spool file
				case "raw-recovery":
					env, err = (*ingest.Decoded)(nil).Decode(ingest.NotificationRecord(start, body))
				}
				if err != nil || env.Notification == nil {
					b.Fatal(err)
				}
				state.Apply(env)
			}
		})
	}
}
