// Command firebreak-seed fills a Firebreak database with a realistic volume of synthetic incidents, for benchmarks:
//
//	firebreak-seed --clickhouse-http http://127.0.0.1:8123 --clickhouse-dsn clickhouse://127.0.0.1:9000 \
//		--database firebreak_bench --incidents 1000000 --events 10000000 --seed 1
//
// It creates the schema (store.Migrate over the native protocol), builds every timeline with the domain functions
// (incident.Declare / Append, so hash chains verify and the stored state is the fold of the events), streams the
// rows to the ingest table as JSONEachRow over HTTP, and finally merges the tables (OPTIMIZE ... FINAL). The output
// is deterministic for a seed and a --now.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
)

func main() {
	cfg := config{Log: os.Stdout}
	var dsn, now string
	flag.StringVar(&cfg.HTTPURL, "clickhouse-http", "http://127.0.0.1:8123", "ClickHouse HTTP interface (rows are inserted through it)")
	flag.StringVar(&dsn, "clickhouse-dsn", "clickhouse://127.0.0.1:9000", "ClickHouse native DSN for the schema migration (its database is replaced by --database)")
	flag.StringVar(&cfg.Database, "database", "firebreak_bench", "database to fill (created if needed)")
	flag.IntVar(&cfg.Incidents, "incidents", 1_000_000, "number of incidents")
	flag.IntVar(&cfg.Events, "events", 10_000_000, "total number of timeline events (one incident gets exactly 1,000)")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	flag.IntVar(&cfg.Days, "days", 180, "incidents are declared over this many days before --now")
	flag.StringVar(&now, "now", "", "end of the generated period, RFC 3339 (default: the current time)")
	flag.IntVar(&cfg.BatchRows, "batch-rows", 200_000, "rows per INSERT")
	flag.IntVar(&cfg.Workers, "workers", runtime.GOMAXPROCS(0), "goroutines building rows")
	flag.IntVar(&cfg.Inserters, "inserters", 2, "concurrent INSERTs")
	flag.BoolVar(&cfg.FullRows, "full-rows", false, "write the state columns on every row like the receiver does (same stored data, twice the JSON)")
	flag.BoolVar(&cfg.Drop, "drop", false, "drop the database first (without it, a database that already holds events is refused)")
	flag.BoolVar(&cfg.Optimize, "optimize", true, "merge the tables with OPTIMIZE TABLE ... FINAL at the end")
	flag.Parse()

	if now == "" {
		cfg.Now = time.Now().UTC().Truncate(time.Second)
	} else {
		t, err := time.Parse(time.RFC3339, now)
		if err != nil {
			fatal(fmt.Errorf("--now: %w", err))
		}
		cfg.Now = t.UTC()
	}
	u, err := url.Parse(dsn)
	if err != nil || !strings.HasPrefix(u.Scheme, "clickhouse") {
		fatal(fmt.Errorf("--clickhouse-dsn: want clickhouse://host:port[/database]"))
	}
	u.Path = "/" + cfg.Database
	cfg.DSN = u.String()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := run(ctx, cfg); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "firebreak-seed:", err)
	os.Exit(1)
}
