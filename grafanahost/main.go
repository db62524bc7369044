// Command grafanahost runs the built backend binary of the Firebreak app
// plugin as Grafana does and serves Grafana's plugin routes for it
// (/api/plugins/<id>/resources/... and /api/plugins/<id>/health), for browser
// tests and local development without a Grafana server. See package
// pkg/grafanahost for how the user and role of a request are chosen.
//
//	grafanahost --plugin-binary dist/gpx_incident_linux_amd64 \
//	  --json-data @settings.json --secure-json-data @secrets.json
//	grafanahost --plugin-binary dist/gpx_incident_linux_amd64 --provisioning provisioning/plugins/app.yaml
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/grafanahost"
)

func main() {
	if err := run(); err != nil {
		slog.Error("grafanahost", "error", err)
		os.Exit(1)
	}
}

func run() error {
	binary := flag.String("plugin-binary", "", "path of the built plugin backend binary (required)")
	listen := flag.String("listen", "127.0.0.1:3001", "address to serve the Grafana routes on")
	pluginID := flag.String("plugin-id", grafanahost.DefaultPluginID, "plugin id")
	appURL := flag.String("app-url", "", "GF_APP_URL sent to the plugin (default http://<listen>/)")
	jsonData := flag.String("json-data", "", "plugin jsonData: a JSON value, or @file")
	secureData := flag.String("secure-json-data", "", "plugin secureJsonData: a JSON object of strings, or @file (never logged)")
	provisioning := flag.String("provisioning", "", "read jsonData and secureJsonData from this Grafana plugin provisioning file "+
		"(provisioning/plugins/*.yaml; $VAR and ${VAR} expanded from the environment), instead of --json-data/--secure-json-data")
	debug := flag.Bool("debug", false, "log at debug level (go-plugin and the plugin's debug logs)")
	flag.Parse()

	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	if *binary == "" {
		return errors.New("--plugin-binary is required")
	}
	var jd json.RawMessage
	var secure map[string]string
	if *provisioning != "" {
		if *jsonData != "" || *secureData != "" {
			return errors.New("--provisioning replaces --json-data and --secure-json-data: give one or the other")
		}
		p, err := grafanahost.LoadProvisioning(*provisioning, *pluginID, nil)
		if err != nil {
			return fmt.Errorf("--provisioning: %w", err)
		}
		jd, secure = p.JSONData, p.SecureJSONData
	}
	if *jsonData != "" {
		b, err := readArg(*jsonData)
		if err != nil {
			return fmt.Errorf("--json-data: %w", err)
		}
		if !json.Valid(b) {
			return errors.New("--json-data is not valid JSON")
		}
		jd = b
	}
	if *secureData != "" {
		b, err := readArg(*secureData)
		if err != nil {
			return fmt.Errorf("--secure-json-data: %w", err)
		}
		if err := json.Unmarshal(b, &secure); err != nil {
			// The error of encoding/json may quote the input: keep it out.
			return errors.New("--secure-json-data is not a JSON object of strings")
		}
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	if *appURL == "" {
		*appURL = "http://" + addr + "/"
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	h, err := grafanahost.Start(ctx, grafanahost.Options{
		Binary:         *binary,
		PluginID:       *pluginID,
		JSONData:       jd,
		SecureJSONData: secure,
		AppURL:         *appURL,
		Logger:         logger,
	})
	if err != nil {
		ln.Close()
		return err
	}
	defer h.Close()
	logger.Info("plugin started", "binary", *binary, "pid", h.Pid(), "startup", h.Startup().Round(time.Millisecond),
		"jsonData", len(jd) > 0, "secureJsonDataKeys", len(secure))

	srv := &http.Server{Handler: h.Handler(), ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("listening", "addr", addr, "url", "http://"+addr+"/api/plugins/"+*pluginID+"/")

	// Grafana restarts a plugin that dies; this host does not, so it stops.
	ticker := time.NewTicker(500 * time.Millisecond)
	defer ticker.Stop()
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			logger.Info("shutting down")
			break loop
		case err := <-serveErr:
			runErr = err
			break loop
		case <-ticker.C:
			if h.Exited() {
				runErr = fmt.Errorf("plugin process %d exited", h.Pid())
				break loop
			}
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	h.Close()
	if runErr == nil {
		logger.Info("stopped", "pid", h.Pid())
	}
	return runErr
}

// readArg returns s, or the content of file f for s = "@f".
func readArg(s string) ([]byte, error) {
	if name, ok := strings.CutPrefix(s, "@"); ok {
		return os.ReadFile(name)
	}
	return []byte(s), nil
}
