package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/webhook"
)

const amBody = `{"version":"4","groupKey":"{}:{alertname=\"X\"}","status":"firing","receiver":"firebreak",
	"groupLabels":{"alertname":"X"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am",
	"alerts":[{"status":"firing","labels":{"alertname":"X","ai_system":"bot"},"annotations":{},
	"startsAt":"2026-11-25T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://p","fingerprint":"abc"}]}`

func TestSpoolRecordsOfEveryVersion(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 1, 123456789, time.UTC)
	n, err := webhook.Decode([]byte(amBody))
	require.NoError(t, err)

	raw := NotificationRecord(at, []byte(amBody))
	env, err := DecodeRecord(raw)
	require.NoError(t, err)
	assert.Equal(t, at, env.ReceivedAt, "to the nanosecond")
	assert.Equal(t, n, env.Notification)
	assert.Nil(t, env.Command)

	// Records of earlier versions: JSON envelopes.
	legacy, err := json.Marshal(Envelope{ReceivedAt: at, Notification: n})
	require.NoError(t, err)
	env, err = DecodeRecord(legacy)
	require.NoError(t, err)
	assert.Equal(t, "abc", env.Notification.Alerts[0].Fingerprint)
	cmd, err := json.Marshal(Envelope{ReceivedAt: at, Command: &incident.Command{ID: "c", Kind: incident.CmdAcknowledge}})
	require.NoError(t, err)
	env, err = DecodeRecord(cmd)
	require.NoError(t, err)
	assert.Equal(t, "c", env.Command.ID)

	for name, bad := range map[string][]byte{
		"empty":          nil,
		"unknown format": {7, 1, 2},
		"short header":   {recordNotification, 0, 0},
		"bad body":       NotificationRecord(at, []byte(`{"alerts": 3}`)),
		"both":           []byte(`{"received_at":"2026-11-25T10:00:00Z"}`),
		"bad json":       []byte(`{"received_at":`),
	} {
		_, err := DecodeRecord(bad)
		assert.Error(t, err, name)
	}
}

func TestDecodedHandsOverOnce(t *testing.T) {
	at := time.Now()
	n, err := webhook.Decode([]byte(amBody))
	require.NoError(t, err)
	d := &Decoded{}
	rec := NotificationRecord(at, []byte(amBody))
	d.Put(rec, n)
	readBack := append([]byte(nil), rec...) // the processor reads its own copy from the spool file
	env, err := d.Decode(readBack)
	require.NoError(t, err)
	assert.Same(t, n, env.Notification, "the handler's decoded notification, not a second decode")
	env2, err := d.Decode(readBack)
	require.NoError(t, err)
	assert.NotSame(t, n, env2.Notification, "handed over once; then decoded from the bytes")
	assert.Equal(t, n, env2.Notification)

	// A record that was not spooled is forgotten; records differing in one byte are not confused.
	other := NotificationRecord(at.Add(time.Nanosecond), []byte(amBody))
	d.Put(other, n)
	d.Forget(other)
	assert.Nil(t, d.take(other))
	d.Put(rec, n)
	assert.Nil(t, d.take(other))
	assert.Same(t, n, d.take(rec))

	// Bounded: beyond the cap the processor decodes from the spool.
	for i := range maxDecoded + 10 {
		d.Put(NotificationRecord(at.Add(time.Duration(i)), []byte(amBody)), n)
	}
	assert.Equal(t, maxDecoded, d.n)
	// and by bytes: large notifications are decoded from the spool beyond maxDecodedBytes.
	big := &Decoded{}
	large := NotificationRecord(at, bytes.Repeat([]byte(" "), 3<<20))
	for i := range 10 {
		big.Put(NotificationRecord(at.Add(time.Duration(i)), large[notificationHeader:]), n)
	}
	assert.Equal(t, 5, big.n, "5 of 3 MiB fit in 16 MiB")
	assert.LessOrEqual(t, big.bytes, maxDecodedBytes)
	big.Forget(NotificationRecord(at, large[notificationHeader:]))
	assert.Equal(t, 4, big.n)
	assert.Equal(t, 4*len(large), big.bytes)
	var none *Decoded
	none.Put(rec, n)
	env, err = none.Decode(rec)
	require.NoError(t, err)
	assert.Equal(t, "abc", env.Notification.Alerts[0].Fingerprint)
}

func TestReadNotificationRecord(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 123, time.UTC)
	body := bytes.Repeat([]byte(`{"a":1}`), 300)
	for _, hint := range []int64{-1, 0, 10, int64(len(body)), int64(len(body)) + 100} {
		rec, got, err := ReadNotificationRecord(iotest.OneByteReader(bytes.NewReader(body)), hint, at)
		require.NoError(t, err, "hint %d", hint)
		assert.Equal(t, body, got, "hint %d", hint)
		assert.Equal(t, NotificationRecord(at, body), rec, "hint %d", hint)
	}
	_, _, err := ReadNotificationRecord(iotest.ErrReader(errors.New("connection reset")), -1, at)
	assert.ErrorContains(t, err, "connection reset")
}
