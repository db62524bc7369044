// Package httperr is how Firebreak's two HTTP APIs, the receiver and the plugin's resource routes, answer errors:
// always JSON {"error": "..."}, unknown routes (404) and wrong methods (405) included, and messages about a request
// body that name the field ("alerts[0].labels.severity: expected a string, got 1") instead of encoding/json's Go
// type names ("json: cannot unmarshal number into Go struct field Alert.alerts.labels of type string").
package httperr

import (
	"encoding/json"
	"net/http"
	"strings"
)

type answer struct {
	Error string `json:"error"`
}

// Write answers {"error": msg} with the status code.
func Write(w http.ResponseWriter, status int, msg string) {
	b, err := json.Marshal(answer{Error: msg})
	if err != nil { // a string always marshals; this keeps the promise of a JSON answer anyway
		b = []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// methods are the methods Unmatched tries when it looks for the routes of a path.
var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// Unmatched is the handler to register on mux as the pattern "/", the most general one: a request no other pattern
// matches gets a JSON 404, or a JSON 405 with an Allow header when the path has routes for other methods. (Without
// it, ServeMux answers both in plain text.) It only runs for requests that match no route, so the routes pay
// nothing for it.
func Unmatched(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range methods {
			probe := r.WithContext(r.Context()) // a shallow copy
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
				allow = append(allow, m)
				if m == http.MethodGet {
					allow = append(allow, http.MethodHead)
				}
			}
		}
		if len(allow) == 0 {
			Write(w, http.StatusNotFound, "no such route: "+r.Method+" "+r.URL.Path)
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		Write(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on "+r.URL.Path+" (allowed: "+strings.Join(allow, ", ")+")")
	}
}
