package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// maxBodyBytes bounds the body of POST /faults/{kind}.
const maxBodyBytes = 4096

// routes returns the HTTP API:
//
//	GET    /metrics          Prometheus metrics
//	GET    /-/healthy        liveness
//	GET    /status           ai_system, model versions, rate, active faults
//	GET    /faults           active faults
//	POST   /faults/{kind}    inject a fault, optional body {"intensity": 0..1} (default 1)
//	DELETE /faults/{kind}    clear one fault
//	DELETE /faults           clear all faults
//
// and the containment endpoints under /containment/ (see containment.ServeHTTP and
// demo/README.md).
func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{Registry: a.registry}))
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "OK\n")
	})
	mux.HandleFunc("GET /status", a.handleStatus)
	mux.HandleFunc("GET /faults", a.handleListFaults)
	mux.HandleFunc("POST /faults/{kind}", a.handleInjectFault)
	mux.HandleFunc("DELETE /faults/{kind}", a.handleClearFault)
	mux.HandleFunc("DELETE /faults", a.handleClearAllFaults)
	mux.Handle("/containment/", a.ctl)
	return mux
}

type statusResponse struct {
	AISystem             string  `json:"ai_system"`
	ModelVersion         string  `json:"model_version"`
	PreviousModelVersion string  `json:"previous_model_version"`
	Rate                 float64 `json:"rate"`
	ActiveFaults         []Fault `json:"active_faults"`
}

type faultsResponse struct {
	Faults []Fault `json:"faults"`
}

type errorResponse struct {
	Error string `json:"error"`
}

func (a *app) handleStatus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, statusResponse{
		AISystem:             a.cfg.AISystem,
		ModelVersion:         a.sim.ModelVersion(),
		PreviousModelVersion: a.ctl.PreviousModelVersion(),
		Rate:                 a.cfg.Rate,
		ActiveFaults:         a.sim.Faults(),
	})
}

func (a *app) handleListFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, faultsResponse{Faults: a.sim.Faults()})
}

func (a *app) handleInjectFault(w http.ResponseWriter, r *http.Request) {
	kind := FaultKind(r.PathValue("kind"))
	if _, ok := lookupFault(kind); !ok {
		writeError(w, http.StatusNotFound, fmt.Errorf("%w %q; known: %s", errUnknownFault, kind, knownFaultKinds()))
		return
	}
	intensity, status, err := readIntensity(w, r)
	if err != nil {
		writeError(w, status, err)
		return
	}
	f, err := a.sim.InjectFault(kind, intensity)
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	a.logger.Info("fault injected", "kind", f.Kind, "intensity", f.Intensity, "model_version", f.ModelVersion)
	writeJSON(w, http.StatusOK, f)
}

func (a *app) handleClearFault(w http.ResponseWriter, r *http.Request) {
	kind := FaultKind(r.PathValue("kind"))
	had, err := a.sim.ClearFault(kind)
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	if had {
		a.logger.Info("fault cleared", "kind", kind)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *app) handleClearAllFaults(w http.ResponseWriter, _ *http.Request) {
	if n := a.sim.ClearAllFaults(); n > 0 {
		a.logger.Info("all faults cleared", "count", n)
	}
	w.WriteHeader(http.StatusNoContent)
}

// readIntensity reads the optional body {"intensity": x}; no body (or no intensity)
// means 1. It returns the HTTP status to answer with when the body is not acceptable.
func readIntensity(w http.ResponseWriter, r *http.Request) (float64, int, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return 0, http.StatusRequestEntityTooLarge, fmt.Errorf("request body larger than %d bytes", maxBodyBytes)
		}
		return 0, http.StatusBadRequest, fmt.Errorf("read request body: %w", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return 1, 0, nil
	}
	var req struct {
		Intensity *float64 `json:"intensity"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return 0, http.StatusBadRequest, fmt.Errorf("invalid JSON body (want {\"intensity\": 0..1}): %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return 0, http.StatusBadRequest, errors.New("invalid JSON body (want {\"intensity\": 0..1}): unexpected data after the JSON object")
	}
	if req.Intensity == nil {
		return 1, 0, nil
	}
	if x := *req.Intensity; x < 0 || x > 1 {
		return 0, http.StatusBadRequest, fmt.Errorf("intensity must be between 0 and 1, got %v", x)
	}
	return *req.Intensity, 0, nil
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, errUnknownFault):
		return http.StatusNotFound
	case errors.Is(err, errInvalidIntensity):
		return http.StatusBadRequest
	default:
		return http.StatusInternalServerError
	}
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, errorResponse{Error: err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v) //nolint:errcheck // the client has gone away; nothing to do
}
