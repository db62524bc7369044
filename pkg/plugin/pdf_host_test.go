package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/grafanahost"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// The PDFs through the built plugin binary, started and called as Grafana does (grafanahost: gRPC CallResource,
// the answer's headers and body written back as Grafana's plugin resource route writes them): the bytes arrive
// intact (the cross-reference table's offsets still point at it) and the download's name with them.
func TestPDFThroughThePluginBinary(t *testing.T) {
	e := newEnv(t)
	jsonData, err := json.Marshal(map[string]any{"clickhouse": map[string]string{"address": e.ch.TCPAddr(), "database": e.db},
		"receiver": map[string]string{"url": e.recv}})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h, err := grafanahost.Start(ctx, grafanahost.Options{Binary: testenv.GoBuild(t, "pkg"), JSONData: jsonData,
		SecureJSONData: map[string]string{"receiverApiToken": "plugin-token"}})
	require.NoError(t, err)
	t.Cleanup(h.Close)
	srv := httptest.NewServer(h.Handler())
	t.Cleanup(srv.Close)
	call := func(method, path, role, body string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+"/api/plugins/"+grafanahost.DefaultPluginID+"/resources/"+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-Grafana-User", "alice")
		req.Header.Set("X-Grafana-Role", role)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		got, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, got
	}

	const title = "Σφάλμα — Бот поддержки — 客服机器人 invents a refund policy"
	resp, body := call("POST", "incidents", "Editor", `{"title":"`+title+`","severity":"SEV2","category":"hallucination",`+
		`"ai_system":"supportbot","reported_via":"support"}`)
	require.Equal(t, 200, resp.StatusCode, string(body))
	var declared struct {
		Incident struct {
			ID string `json:"incident_id"`
		} `json:"incident"`
	}
	require.NoError(t, json.Unmarshal(body, &declared))
	id := declared.Incident.ID
	resp, body = call("POST", "incidents/"+id+"/regulatory", "Editor",
		fmt.Sprintf(`{"regime":"eu_ai_act","tier":"standard","aware_at":%q}`, time.Now().UTC().Format(time.RFC3339)))
	require.Equal(t, 200, resp.StatusCode, string(body))

	for _, tt := range []struct {
		path, role, file string
		want             []string
	}{
		{"incidents/" + id + "/export?format=pdf", "Viewer", "incident-" + id + "-audit.pdf", []string{"Incident report: " + title, "Timeline integrity"}},
		{"incidents/" + id + "/reports/eu-ai-act?type=initial&format=pdf", "Editor", "incident-" + id + "-eu-ai-act-initial.pdf",
			[]string{"EU AI Act serious incident report (initial report): DRAFT", title, "Member States concerned"}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			resp, pdf := call("GET", tt.path, tt.role, "")
			require.Equal(t, 200, resp.StatusCode, "%.300s", pdf)
			assert.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
			assert.Equal(t, `attachment; filename="`+tt.file+`"`, resp.Header.Get("Content-Disposition"))
			assert.Equal(t, strconv.Itoa(len(pdf)), resp.Header.Get("Content-Length"))
			// Binary, as PDFs are (compressed streams): not passed through anything that reads text.
			assert.False(t, bytes.Equal(bytes.ToValidUTF8(pdf, []byte("?")), pdf), "no byte outside UTF-8: not a test of binary bodies")
			m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n?$`).FindSubmatch(pdf)
			require.NotNil(t, m, "the PDF's end: %q", pdf[max(0, len(pdf)-60):])
			at, err := strconv.Atoi(string(m[1]))
			require.NoError(t, err)
			require.Less(t, at, len(pdf))
			assert.True(t, bytes.HasPrefix(pdf[at:], []byte("xref")), "the cross-reference table is where the PDF says: every byte before it arrived")
			text := strings.Join(strings.Fields(testenv.PDFText(t, pdf)), " ")
			for _, w := range tt.want {
				assert.Contains(t, text, w)
			}
		})
	}
	resp, body = call("GET", "incidents/"+id+"/export?format=docx", "Viewer", "")
	assert.Equal(t, 400, resp.StatusCode)
	assert.JSONEq(t, `{"error":"format: \"docx\" is not json, markdown, html or pdf"}`, string(body))
}
