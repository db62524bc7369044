package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// The spool lives on a 1 MiB file system and ClickHouse is stopped: notifications are accepted until the spool
// would leave less than its headroom free, then refused with 503 and Retry-After, and /-/ready says why. ClickHouse
// comes back: the receiver stores everything, frees the spool's disk and accepts again by itself, twice in a row,
// the second time with the disk full to the last byte (a full disk once wedged it after the first write: its
// checkpoint could not be replaced). Every accepted alert is stored exactly once.
//
// The file system is a tmpfs mounted in a user and mount namespace of the receiver's own (testenv.InSmallFS): no
// root needed, and a real file system that really fills (a loop device would need root, FUSE a helper program).
func TestFullDiskDoesNotWedgeTheReceiver(t *testing.T) {
	ch := testenv.StartClickHouse(t)
	db := ch.NewDatabase(t)
	dir := t.TempDir()
	spoolDir := filepath.Join(dir, "spool")
	require.NoError(t, os.Mkdir(spoolDir, 0o755))
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(token+"\n"), 0o600))
	port := testenv.FreePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	const headroom = 256 << 10
	bin, args := testenv.InSmallFS(t, spoolDir, 1<<20, testenv.GoBuild(t, "receiver"),
		"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--token-file", tokenFile, "--spool-dir", spoolDir,
		"--spool-min-free-bytes", "256KiB", "--clickhouse-dsn", ch.DSN(db)+"?dial_timeout=200ms&read_timeout=2s")
	receiver := testenv.StartBinary(t, testenv.Binary{Name: "receiver", Path: bin, Args: args, ReadyURL: url + "/-/ready"})
	s := &stack{ch: ch, db: db, receiver: receiver, url: url, token: tokenFile}
	t.Cleanup(func() {
		if t.Failed() {
			var lines []string
			for _, l := range strings.Split(receiver.Log(), "\n") {
				if !strings.Contains(l, "notification not accepted") {
					lines = append(lines, l)
				}
			}
			t.Logf("receiver log (without the refused notifications):\n%s", strings.Join(lines[max(len(lines)-40, 0):], "\n"))
		}
	})
	pid := receiver.Pid()
	spoolFS := testenv.InNamespace(pid, spoolDir)
	free := func() int64 {
		var st syscall.Statfs_t
		require.NoError(t, syscall.Statfs(spoolFS, &st))
		return int64(st.Bavail) * st.Bsize
	}
	require.Greater(t, free(), int64(900<<10), "the spool is on the 1 MiB file system")
	require.Less(t, free(), int64(1<<20))

	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	sent := 0
	post := func() (int, http.Header, string) {
		body := webhookNotification(fmt.Sprintf("group-%d", sent%5), start, fmt.Sprintf("fp%06d", sent))
		req, err := http.NewRequest(http.MethodPost, url+"/api/v1/webhook", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		if resp.StatusCode == http.StatusOK {
			sent++
		}
		return resp.StatusCode, resp.Header, string(b)
	}
	ready := func() (int, string) {
		resp, err := http.Get(url + "/-/ready")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	segmentBytes := func() (n int64) {
		entries, err := os.ReadDir(spoolFS)
		require.NoError(t, err)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".seg") {
				fi, err := e.Info()
				require.NoError(t, err)
				n += fi.Size()
			}
		}
		return n
	}
	storedOnce := func() {
		t.Helper()
		s.waitRows(t, 90*time.Second, "SELECT count(), uniqExact(fingerprint) FROM {db}.incident_alerts FORMAT TSV",
			fmt.Sprintf("%d\t%d\n", sent, sent))
	}

	for round := 1; round <= 2; round++ {
		for range 10 {
			code, _, body := post()
			require.Equal(t, 200, code, body)
		}
		storedOnce()
		ch.Stop()
		before := sent
		var code int
		var header http.Header
		var body string
		for i := 0; i < 5000; i++ {
			if code, header, body = post(); code != 200 {
				break
			}
		}
		t.Logf("round %d: %d notifications accepted with ClickHouse down, then %d: %s", round, sent-before, code, body)
		require.Equal(t, http.StatusServiceUnavailable, code, body)
		require.Equal(t, "5", header.Get("Retry-After"))
		require.Contains(t, body, "disk almost full")
		require.Greater(t, sent-before, 500, "the spool used the disk down to its headroom")
		require.GreaterOrEqual(t, free(), int64(headroom-4096), "the headroom was kept (give or take a page of metadata)")
		code, body = ready()
		require.Equal(t, http.StatusServiceUnavailable, code)
		var answer map[string]string
		require.NoError(t, json.Unmarshal([]byte(body), &answer), body)
		require.Contains(t, answer["error"], "cannot accept notifications: spool: disk almost full")
		filler := filepath.Join(spoolFS, "filler")
		if round == 2 {
			// Something else takes the headroom too: the disk is full to the last byte while ClickHouse comes back.
			f, err := os.Create(filler)
			require.NoError(t, err)
			for err == nil {
				_, err = f.Write(make([]byte, 4096))
			}
			require.ErrorIs(t, err, syscall.ENOSPC)
			require.NoError(t, f.Close())
			require.Zero(t, free())
		}

		ch.Start()
		storedOnce() // nothing lost, nothing twice
		testenv.WaitFor(t, 30*time.Second, 100*time.Millisecond, func() (bool, string) {
			code, body := ready()
			return code == 200, fmt.Sprintf("/-/ready: %d %s", code, body)
		})
		testenv.WaitFor(t, 10*time.Second, 50*time.Millisecond, func() (bool, string) {
			n := segmentBytes()
			return n == 0, fmt.Sprintf("%d bytes of segments left on disk after draining", n)
		})
		if round == 2 {
			require.Greater(t, free(), int64(700<<10), "the spool's part of the disk is free again")
			require.NoError(t, os.Remove(filler))
		}
		require.Greater(t, free(), int64(900<<10), "the spool's disk is free again")
	}
	code, _, body := post()
	require.Equal(t, 200, code, body)
	storedOnce()
	require.Equal(t, pid, receiver.Pid(), "no restart")
	require.Equal(t, 0.0, s.metric(t, "firebreak_spool_commit_errors_total"))
	require.NotContains(t, receiver.Log(), "\x1b", "the log is plain text, not coloured, in a file")
	require.Greater(t, s.metric(t, `firebreak_notifications_received_total{outcome="unavailable",source="alertmanager"}`), 1.0)
	// One incident per group, each alert once on its timeline.
	s.waitRows(t, 10*time.Second, "SELECT count(), sum(alert_count) FROM {db}.incidents FORMAT TSV", fmt.Sprintf("5\t%d\n", sent))
	require.Equal(t, fmt.Sprintf("%d\n", 5+sent), s.query(t, "SELECT count() FROM {db}.incident_events"))
}

// webhookNotification is an Alertmanager webhook payload with one firing alert.
func webhookNotification(group string, start time.Time, fingerprint string) string {
	b, _ := json.Marshal(map[string]any{
		"version": "4", "status": "firing", "receiver": "firebreak", "groupKey": group,
		"groupLabels": map[string]string{"alertname": "AIInputDriftHigh"}, "externalURL": "http://am",
		"alerts": []map[string]any{{
			"status": "firing", "fingerprint": fingerprint, "startsAt": start.Format(time.RFC3339Nano),
			"endsAt": "0001-01-01T00:00:00Z",
			"labels": map[string]string{"alertname": "AIInputDriftHigh", "ai_system": "supportbot", "severity": "warning",
				"category": "drift", "instance": group, "fp": fingerprint},
			"annotations": map[string]string{"summary": "Input drift on supportbot"},
		}},
	})
	return string(b)
}
