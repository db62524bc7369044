package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
)

// receiverClient sends people's commands to the Firebreak receiver, the single writer of incident timelines.
type receiverClient struct {
	url, token string
	http       *http.Client
}

func newReceiverClient(s ReceiverSettings) *receiverClient {
	return &receiverClient{url: s.URL, token: s.APIToken, http: &http.Client{
		Timeout: 20 * time.Second,
		// Only the configured receiver is ever called: no redirects elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

const maxAnswerBytes = 8 << 20

// send posts a command and returns the receiver's status and body as they are: its errors are already the
// {"error": ...} bodies with fitting statuses (400, 403, 404, 409) the API promises.
func (c *receiverClient) send(ctx context.Context, cmd *incident.Command) (int, []byte, error) {
	body, err := json.Marshal(cmd)
	if err != nil {
		return 0, nil, err
	}
	status, answer, err := c.do(ctx, http.MethodPost, "/api/v1/commands", body)
	if err == nil && status == http.StatusUnauthorized {
		return http.StatusBadGateway, mustJSON(map[string]string{"error": "the Firebreak receiver refused the plugin's API token: check secureJsonData.receiverApiToken"}), nil
	}
	return status, answer, err
}

// do calls the receiver's API with the plugin's token and returns the status and (at most maxAnswerBytes of) the
// answer. A body, when given, is JSON.
func (c *receiverClient) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.url+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("Firebreak receiver at %s: %w", c.url, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return 0, nil, fmt.Errorf("Firebreak receiver at %s: reading the answer: %w", c.url, err)
	}
	return resp.StatusCode, answer, nil
}

func (c *receiverClient) healthy(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/-/healthy", nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s does not answer: %w", c.url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s/-/healthy answered %s", c.url, resp.Status)
	}
	return nil
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// deadlines asks the receiver what is due or overdue at now over all incidents (its in-memory index; see
// ingest.DeadlineIndex), with the plugin's SLA targets.
func (c *receiverClient) deadlines(ctx context.Context, now time.Time, targets incident.SLATargets) (store.Deadlines, error) {
	status, answer, err := c.do(ctx, http.MethodGet, "/api/v1/deadlines?"+store.DeadlinesQuery(now, targets).Encode(), nil)
	if err != nil {
		return store.Deadlines{}, err
	}
	if status != http.StatusOK {
		return store.Deadlines{}, fmt.Errorf("Firebreak receiver at %s: GET /api/v1/deadlines: %d %s: %.200s", c.url, status, http.StatusText(status), answer)
	}
	var d store.Deadlines
	if err := json.Unmarshal(answer, &d); err != nil {
		return store.Deadlines{}, fmt.Errorf("Firebreak receiver at %s: GET /api/v1/deadlines: %w", c.url, err)
	}
	return d, nil
}

// sla asks the receiver for the SLA targets it computes deadlines (and the escalations) with. ok is false when the
// receiver predates GET /api/v1/sla.
func (c *receiverClient) sla(ctx context.Context) (targets incident.SLATargets, ok bool, err error) {
	status, answer, err := c.do(ctx, http.MethodGet, "/api/v1/sla", nil)
	if err != nil {
		return nil, false, err
	}
	switch status {
	case http.StatusOK:
	case http.StatusNotFound:
		return nil, false, nil
	default:
		return nil, false, fmt.Errorf("Firebreak receiver at %s: GET /api/v1/sla: %d %s: %.200s", c.url, status, http.StatusText(status), answer)
	}
	var specs map[string]incident.SLASpec
	if err := json.Unmarshal(answer, &specs); err != nil {
		return nil, false, fmt.Errorf("Firebreak receiver at %s: GET /api/v1/sla: %w", c.url, err)
	}
	targets, err = incident.SLATargetsFrom(specs, "GET /api/v1/sla")
	if err != nil {
		return nil, false, fmt.Errorf("Firebreak receiver at %s: %w", c.url, err)
	}
	return targets, true, nil
}
