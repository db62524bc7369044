package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConfig(t *testing.T) {
	defaults := config{Listen: "127.0.0.1:9100", AISystem: "supportbot", Rate: 20, ModelVersion: "v2",
		PreviousModelVersion: "v1", Seed: 1}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    config
		wantErr string
	}{
		{name: "defaults", want: defaults},
		{name: "env", env: map[string]string{"DEMO_LISTEN": ":9200", "DEMO_AI_SYSTEM": "loanbot", "DEMO_RATE": "5.5",
			"DEMO_MODEL_VERSION": "v3", "DEMO_PREVIOUS_MODEL_VERSION": "v2", "DEMO_SEED": "9"},
			want: config{Listen: ":9200", AISystem: "loanbot", Rate: 5.5, ModelVersion: "v3", PreviousModelVersion: "v2", Seed: 9}},
		{name: "flags win over env", args: []string{"--listen", ":1", "--ai-system=a", "--rate=1", "--model-version=m", "--seed=2"},
			env:  map[string]string{"DEMO_LISTEN": ":9200", "DEMO_AI_SYSTEM": "loanbot", "DEMO_RATE": "5", "DEMO_MODEL_VERSION": "v3"},
			want: config{Listen: ":1", AISystem: "a", Rate: 1, ModelVersion: "m", PreviousModelVersion: "v1", Seed: 2}},
		{name: "bad rate", args: []string{"--rate=fast"}, wantErr: `invalid rate "fast"`},
		{name: "negative rate", env: map[string]string{"DEMO_RATE": "-1"}, wantErr: `invalid rate "-1"`},
		{name: "bad seed", args: []string{"--seed=-1"}, wantErr: `invalid seed "-1"`},
		{name: "empty ai system", args: []string{"--ai-system="}, wantErr: "must not be empty"},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "flag provided but not defined"},
		{name: "stray argument", args: []string{"x"}, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// startDemo runs the demo service on a free port until the test ends and returns its
// base URL.
func startDemo(t *testing.T, cfg config) (string, *app) {
	t.Helper()
	a, err := newApp(cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err, "graceful shutdown")
		case <-time.After(10 * time.Second):
			t.Error("demo service did not shut down within 10 s")
		}
	})
	return "http://" + ln.Addr().String(), a
}

func TestServeGeneratesTrafficAndShutsDown(t *testing.T) {
	url, a := startDemo(t, config{AISystem: "supportbot", Rate: 50, ModelVersion: "v2", PreviousModelVersion: "v1", Seed: 1})
	resp, err := http.Get(url + "/-/healthy")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)

	key := series("demo_requests_total", "supportbot", "v2")
	require.Eventually(t, func() bool { return takeSnapshot(t, a.registry)[key] >= 10 }, 3*time.Second, 50*time.Millisecond,
		"the traffic generator serves requests at the configured rate")
	start := takeSnapshot(t, a.registry)[key]
	time.Sleep(time.Second)
	got := takeSnapshot(t, a.registry)[key] - start
	assert.InDelta(t, 50, got, 15, "requests in one second at --rate 50")
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--listen=127.0.0.1:0"}, func(string) string { return "" }, io.Discard)
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context was cancelled")
	}

	err := run(context.Background(), []string{"--listen=256.0.0.1:1"}, func(string) string { return "" }, io.Discard)
	require.Error(t, err, "a bad listen address is an error")
}
