// Package store keeps Firebreak's incidents in ClickHouse: it creates and migrates the schema, writes timeline
// events (with the incident state and alert they produce) and reads them back.
package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Store is a connection pool to one Firebreak database.
type Store struct {
	conn     driver.Conn
	db       string // quoted identifier
	name     string
	log      *slog.Logger
	declared declarationTimes
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Open connects to the ClickHouse named by dsn (clickhouse://user:password@host:port/database?dial_timeout=5s).
// The database is created by Migrate if it does not exist. Open does not contact the server.
func Open(dsn string, log *slog.Logger) (*Store, error) {
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("clickhouse DSN: %w", redactDSNError(err, dsn))
	}
	name := opts.Auth.Database
	if name == "" {
		name = "firebreak"
	}
	if !identifier.MatchString(name) {
		return nil, fmt.Errorf("clickhouse DSN: database name %q: use letters, digits and _ only", name)
	}
	// Connect to the server's default database: ours may not exist yet. Every statement names its database.
	opts.Auth.Database = ""
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 5 * time.Second
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = 60 * time.Second
	}
	if opts.MaxOpenConns == 0 {
		opts.MaxOpenConns = 8
	}
	if opts.MaxOpenConns < 2 {
		return nil, fmt.Errorf("clickhouse DSN: max_open_conns=%d: at least 2 are needed (a write keeps an INSERT open on one while evidence is stored on another)", opts.MaxOpenConns)
	}
	if opts.DialContext == nil {
		opts.DialContext = dialWithWriteTimeout(opts, writeTimeout)
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{conn: conn, db: "`" + name + "`", name: name, log: log}, nil
}

// redactDSNError keeps a password in the DSN out of error messages.
func redactDSNError(err error, dsn string) error {
	msg := err.Error()
	if i := strings.Index(dsn, "@"); i > 0 {
		msg = strings.ReplaceAll(msg, dsn[:i], "<redacted>")
	}
	return errors.New(msg)
}

// Database is the name of the database the store uses.
func (s *Store) Database() string { return s.name }

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return fmt.Errorf("clickhouse ping: %w", err)
	}
	return nil
}

// Close closes the pool.
func (s *Store) Close() error { return s.conn.Close() }

func (s *Store) sql(stmt string) string { return strings.ReplaceAll(stmt, "{db}", s.db) }

// Migrate creates the database and brings the schema to the newest version. It is idempotent and safe to run from
// several processes at once: every statement is IF NOT EXISTS, and a race on creation is taken as success.
func (s *Store) Migrate(ctx context.Context) error {
	if err := s.exec(ctx, "CREATE DATABASE IF NOT EXISTS {db}"); err != nil {
		return err
	}
	if err := s.exec(ctx, `CREATE TABLE IF NOT EXISTS {db}.schema_migrations (
		version UInt32, description String, applied_at DateTime) ENGINE = MergeTree ORDER BY version`); err != nil {
		return err
	}
	applied, err := s.appliedVersions(ctx)
	if err != nil {
		return err
	}
	for _, m := range migrations {
		if applied[m.version] {
			continue
		}
		for _, stmt := range m.statements {
			if err := s.migrate(ctx, stmt); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.description, err)
			}
		}
		if err := s.insertOne(ctx, "{db}.schema_migrations", m.version, m.description, time.Now().UTC()); err != nil {
			return fmt.Errorf("migration %d: record it: %w", m.version, err)
		}
		s.log.Info("applied schema migration", "database", s.name, "version", m.version, "description", m.description)
	}
	return nil
}

var addColumn = regexp.MustCompile(`^ALTER TABLE \{db\}\.([A-Za-z_0-9]+) ADD COLUMN ([A-Za-z_0-9]+) `)

// migrate runs one statement of a migration; an ADD COLUMN of a column the table has already is skipped.
func (s *Store) migrate(ctx context.Context, stmt string) error {
	if m := addColumn.FindStringSubmatch(stmt); m != nil {
		var n uint64
		err := s.conn.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = ?",
			s.name, m[1], m[2]).Scan(&n)
		if err != nil {
			return fmt.Errorf("look for column %s.%s: %w", m[1], m[2], err)
		}
		if n > 0 {
			return nil
		}
		// Another process migrating at the same time may add it between the look and the ALTER.
		err = s.exec(ctx, stmt)
		var ex *clickhouse.Exception
		if errors.As(err, &ex) && ex.Code == 44 && strings.Contains(ex.Message, "already exists") {
			return nil
		}
		return err
	}
	return s.exec(ctx, stmt)
}

// SchemaVersion is the newest migration applied (0 if none).
func (s *Store) SchemaVersion(ctx context.Context) (uint32, error) {
	applied, err := s.appliedVersions(ctx)
	if err != nil {
		return 0, err
	}
	var v uint32
	for version := range applied {
		v = max(v, version)
	}
	return v, nil
}

// LatestSchemaVersion is the version Migrate brings the schema to.
func LatestSchemaVersion() uint32 { return migrations[len(migrations)-1].version }

func (s *Store) appliedVersions(ctx context.Context) (map[uint32]bool, error) {
	rows, err := s.conn.Query(ctx, s.sql("SELECT DISTINCT version FROM {db}.schema_migrations"))
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := map[uint32]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	return applied, rows.Err()
}

func (s *Store) exec(ctx context.Context, stmt string, args ...any) error {
	err := s.conn.Exec(ctx, s.sql(stmt), args...)
	var ex *clickhouse.Exception
	if errors.As(err, &ex) && (ex.Code == 57 || ex.Code == 82) { // TABLE_ALREADY_EXISTS, DATABASE_ALREADY_EXISTS
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", firstLine(stmt), err)
	}
	return nil
}

// insertOne inserts one row. ClickHouse 18.16 hangs on INSERT ... VALUES with bound parameters through Exec, so
// even single rows go through a batch.
func (s *Store) insertOne(ctx context.Context, table string, values ...any) error {
	batch, err := s.conn.PrepareBatch(ctx, s.sql("INSERT INTO "+table))
	if err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	if err := batch.Append(values...); err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	return nil
}

func firstLine(stmt string) string {
	stmt = strings.TrimSpace(stmt)
	if i := strings.IndexAny(stmt, "(\n"); i > 0 {
		stmt = stmt[:i]
	}
	return strings.TrimSpace(stmt)
}

// writeTimeout bounds one write to a ClickHouse connection. The driver sets no write deadline of its own (an INSERT
// kept open sends its blocks without one), so a server that stops reading, hung or stalled on its disk, would
// otherwise hold the writer forever.
const writeTimeout = 30 * time.Second

// dialWithWriteTimeout dials as the driver would (TLS if configured) and bounds every write on the connection.
func dialWithWriteTimeout(opts *clickhouse.Options, timeout time.Duration) func(ctx context.Context, addr string) (net.Conn, error) {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		dialer := &net.Dialer{Timeout: opts.DialTimeout}
		var conn net.Conn
		var err error
		if opts.TLS != nil {
			conn, err = (&tls.Dialer{NetDialer: dialer, Config: opts.TLS}).DialContext(ctx, "tcp", addr)
		} else {
			conn, err = dialer.DialContext(ctx, "tcp", addr)
		}
		if err != nil {
			return nil, err
		}
		return &writeDeadlineConn{Conn: conn, timeout: timeout}, nil
	}
}

// writeDeadlineConn fails a write that has not completed within timeout.
type writeDeadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (c *writeDeadlineConn) Write(b []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}
