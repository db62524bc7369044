// Command firebreak-receiver receives Prometheus Alertmanager and Grafana alerting webhooks and turns them into AI
// incidents stored in ClickHouse. Run it with --help for its settings.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/firebreak-dev/firebreak/pkg/receiver"
)

func main() {
	cfg, err := receiver.ParseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, receiver.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "firebreak-receiver:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := receiver.Run(ctx, cfg, receiver.NewLogger(cfg, os.Stderr), nil); err != nil {
		fmt.Fprintln(os.Stderr, "firebreak-receiver:", err)
		os.Exit(1)
	}
}
