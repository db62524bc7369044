package testenv

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

func TestSharedClickHouse(t *testing.T) {
	t.Parallel()
	ch := SharedClickHouse(t)
	if again := SharedClickHouse(t); again != ch {
		t.Fatalf("SharedClickHouse returned a second instance")
	}

	version := strings.TrimSpace(ch.Query(t, "SELECT version()"))
	if version == "" {
		t.Fatalf("SELECT version() over HTTP returned nothing")
	}
	t.Logf("clickhouse version %s", version)
	if tz := strings.TrimSpace(ch.Query(t, "SELECT timezone()")); !strings.Contains(tz, "UTC") {
		t.Errorf("server time zone %q, want UTC", tz)
	}

	db := ch.NewDatabase(t)
	opts, err := clickhouse.ParseDSN(ch.DSN(db))
	if err != nil {
		t.Fatalf("ParseDSN(%q): %v", ch.DSN(db), err)
	}
	if len(opts.Addr) != 1 || opts.Addr[0] != ch.TCPAddr() || opts.Auth.Database != db {
		t.Fatalf("ParseDSN(%q) = addr %v database %q", ch.DSN(db), opts.Addr, opts.Auth.Database)
	}
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{ch.TCPAddr()}, Auth: clickhouse.Auth{Database: db}})
	if err != nil {
		t.Fatalf("clickhouse.Open: %v", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	var native string
	if err := conn.QueryRow(ctx, "SELECT version()").Scan(&native); err != nil {
		t.Fatalf("SELECT version() over the native protocol: %v", err)
	}
	if native != version {
		t.Errorf("native version %q, HTTP version %q", native, version)
	}

	// The database is usable through both interfaces.
	if err := conn.Exec(ctx, "CREATE TABLE t (id UInt32, name String) ENGINE = MergeTree ORDER BY id"); err != nil {
		t.Fatalf("CREATE TABLE: %v", err)
	}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO t")
	if err != nil {
		t.Fatalf("PrepareBatch: %v", err)
	}
	for i, name := range []string{"a", "b", "c"} {
		if err := batch.Append(uint32(i), name); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatalf("batch Send: %v", err)
	}
	if got := ch.Query(t, "SELECT count() FROM "+db+".t"); got != "3\n" {
		t.Fatalf("count over HTTP = %q, want 3", got)
	}
	if _, err := ch.TryQuery("SELECT nonsense("); err == nil {
		t.Fatalf("TryQuery of bad SQL returned no error")
	}
}

func TestSharedClickHouseDatabasesAreSeparate(t *testing.T) {
	t.Parallel()
	ch := SharedClickHouse(t)
	a, b := ch.NewDatabase(t), ch.NewDatabase(t)
	if a == b {
		t.Fatalf("NewDatabase returned %q twice", a)
	}
	ch.Query(t, "CREATE TABLE "+a+".t (x UInt8) ENGINE = Memory")
	ch.Query(t, "CREATE TABLE "+b+".t (x UInt8) ENGINE = Memory")
}

func TestClickHouseStopStartKeepsData(t *testing.T) {
	t.Parallel()
	ch := StartClickHouse(t)
	db := ch.NewDatabase(t)
	ch.Query(t, "CREATE TABLE "+db+".events (id UInt32, at DateTime) ENGINE = MergeTree ORDER BY id")
	ch.Query(t, "INSERT INTO "+db+".events VALUES (1, '2026-01-02 03:04:05'), (2, '2026-01-02 03:04:06')")

	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{ch.TCPAddr()}, Auth: clickhouse.Auth{Database: db}})
	if err != nil {
		t.Fatalf("clickhouse.Open: %v", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}

	start := time.Now()
	ch.Stop() // with an idle native connection open
	t.Logf("stop took %s", time.Since(start).Round(time.Millisecond))
	for _, addr := range []string{ch.TCPAddr(), strings.TrimPrefix(ch.HTTPURL(), "http://")} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Fatalf("%s accepts connections after Stop", addr)
		}
	}
	if _, err := ch.TryQuery("SELECT 1"); err == nil {
		t.Fatalf("query succeeded while the server was stopped")
	}
	if err := conn.Ping(ctx); err == nil {
		t.Fatalf("native Ping succeeded while the server was stopped")
	}

	ch.Start()
	if got := ch.Query(t, "SELECT id, at FROM "+db+".events ORDER BY id"); got != "1\t2026-01-02 03:04:05\n2\t2026-01-02 03:04:06\n" {
		t.Fatalf("rows after restart = %q", got)
	}
	// The driver's pool recovers once the server is back.
	WaitFor(t, 5*time.Second, 100*time.Millisecond, func() (bool, string) {
		if err := conn.Ping(ctx); err != nil {
			return false, "native Ping after restart: " + err.Error()
		}
		return true, ""
	})
}
