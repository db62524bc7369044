// Command firebreak-probe is the health check of Firebreak's container images, which are distroless (no shell, no
// wget or curl): it GETs a URL and exits 0 when the answer is 2xx, 1 otherwise, saying why on stderr.
//
//	firebreak-probe http://127.0.0.1:9095/-/ready
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: firebreak-probe URL")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := probe(ctx, http.DefaultClient, os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "firebreak-probe:", err)
		os.Exit(1)
	}
}

// probe answers nil when a GET of url answers 2xx.
func probe(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err // names the method and URL already
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("GET %s: %s: %q", url, resp.Status, body)
	}
	return nil
}
