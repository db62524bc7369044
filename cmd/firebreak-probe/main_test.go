package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/-/ready":
			w.Write([]byte("Ready\n"))
		case "/no-content":
			w.WriteHeader(http.StatusNoContent)
		case "/unready":
			http.Error(w, "ClickHouse is not reachable", http.StatusServiceUnavailable)
		case "/slow":
			time.Sleep(200 * time.Millisecond)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	for _, tc := range []struct {
		name, url, wantErr string
	}{
		{"ready", srv.URL + "/-/ready", ""},
		{"any 2xx", srv.URL + "/no-content", ""},
		{"5xx names the status and the body", srv.URL + "/unready", `503 Service Unavailable: "ClickHouse is not reachable\n"`},
		{"4xx", srv.URL + "/nothing", "404 Not Found"},
		{"nothing listening", closed.URL + "/-/ready", "connection refused"},
		{"timeout", srv.URL + "/slow", "deadline exceeded"},
		{"bad URL", "http://[::1", "GET http://[::1:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			err := probe(ctx, http.DefaultClient, tc.url)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("probe(%s) = %v, want nil", tc.url, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("probe(%s) = %v, want an error containing %q", tc.url, err, tc.wantErr)
			}
		})
	}
}
