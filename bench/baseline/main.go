// Command baseline is the bare net/http server that BenchmarkReceiverLoad (package bench) compares the receiver
// with: it reads each request body and answers 200 with a body the size of the receiver's answer, nothing else. It
// is run as a subprocess like the receiver, so both pay for the same process boundary.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9096", "address to listen on")
	flag.Parse()
	accepted := []byte(`{"alerts":1,"status":"accepted"}` + "\n")
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/webhook", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(accepted)
	})
	mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "Ready\n") })
	// The receiver's server settings, so that only the handler differs.
	srv := &http.Server{
		Addr:              *listen,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}
