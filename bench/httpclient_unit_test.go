package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The load generator's client against net/http's server: every kind of answer is read completely, so the next
// request on the connection gets its own answer.
func TestPostConn(t *testing.T) {
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type")+" "+string(b))
		switch string(b) {
		case "chunked":
			w.WriteHeader(http.StatusAccepted)
			for range 3 {
				io.WriteString(w, strings.Repeat("x", 5000))
				w.(http.Flusher).Flush()
			}
		case "close":
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"error":"later"}`)
		default:
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, `{"status":"accepted"}`)
		}
	}))
	defer srv.Close()
	c, err := newPostConn(srv.URL+"/api/v1/webhook", 5*time.Second)
	require.NoError(t, err)
	defer c.close()
	for _, tc := range []struct {
		body string
		code int
	}{{"a", 200}, {"chunked", 202}, {"b", 200}, {"close", 503}, {"c", 200}} {
		code, err := c.post([]byte(tc.body))
		require.NoError(t, err, tc.body)
		assert.Equal(t, tc.code, code, tc.body)
	}
	assert.Equal(t, []string{"POST /api/v1/webhook application/json a", "POST /api/v1/webhook application/json chunked",
		"POST /api/v1/webhook application/json b", "POST /api/v1/webhook application/json close",
		"POST /api/v1/webhook application/json c"}, bodies)

	srv.Close()
	_, err = c.post([]byte("d"))
	assert.Error(t, err, "a closed server is an error, not an answer")
}
