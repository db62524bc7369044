package testenv

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ClickHouse is a clickhouse-server process (Debian package clickhouse-server,
// 18.16 on Debian 12) listening on 127.0.0.1 only, with user "default" and no
// password, and the server time zone UTC.
type ClickHouse struct {
	t        testing.TB // nil for the shared instance
	dir      string
	tcpPort  int
	httpPort int
	proc     *process
}

// StartClickHouse starts a ClickHouse server of the test's own and stops it
// when the test ends. Tests that take the server down (Stop and Start) must use
// one of these, never SharedClickHouse.
func StartClickHouse(t testing.TB) *ClickHouse {
	t.Helper()
	c, err := startClickHouse(t.TempDir())
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	c.t = t
	t.Cleanup(func() {
		if err := c.proc.stop(); err != nil {
			t.Errorf("testenv: stop clickhouse: %v", err)
		}
	})
	t.Logf("testenv: clickhouse on %s (http %s) ready in %s, dir %s", c.TCPAddr(), c.HTTPURL(), c.proc.startup.Round(time.Millisecond), c.dir)
	return c
}

var shared struct {
	once sync.Once
	dir  string
	ch   *ClickHouse
	err  error
}

// SharedClickHouse returns one ClickHouse server for the whole test binary,
// started on first use and stopped by Main, so the package's TestMain must call
// testenv.Main. Give each test its own database (NewDatabase) so that tests do
// not see each other's tables. Stop and Start are not allowed on it: outage
// tests use StartClickHouse.
func SharedClickHouse(t testing.TB) *ClickHouse {
	t.Helper()
	if !mainActive.Load() {
		t.Fatalf("testenv: SharedClickHouse needs the package's TestMain to call testenv.Main(m), which stops the server after the tests")
	}
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "firebreak-testenv-clickhouse-")
		if shared.err != nil {
			return
		}
		shared.ch, shared.err = startClickHouse(shared.dir)
		if shared.err == nil {
			t.Logf("testenv: shared clickhouse on %s ready in %s, dir %s", shared.ch.TCPAddr(), shared.ch.proc.startup.Round(time.Millisecond), shared.dir)
		}
	})
	if shared.err != nil {
		t.Fatalf("testenv: shared clickhouse: %v", shared.err)
	}
	return shared.ch
}

func stopShared() {
	if shared.ch != nil {
		if err := shared.ch.proc.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: stop shared clickhouse: %v\n", err)
		}
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
}

func startClickHouse(dir string) (*ClickHouse, error) {
	bin, err := findBinary("clickhouse-server clickhouse-client", "clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server")
	if err != nil {
		return nil, err
	}
	c := &ClickHouse{dir: dir}
	p, err := startWithRetry(func() (*process, error) {
		if c.tcpPort, err = freePort(); err != nil {
			return nil, err
		}
		if c.httpPort, err = freePort(); err != nil {
			return nil, err
		}
		if err := c.writeConfig(); err != nil {
			return nil, err
		}
		return &process{
			name:     "clickhouse-server",
			bin:      bin,
			args:     []string{"--config-file=" + filepath.Join(dir, "config.xml")},
			dir:      dir,
			logPath:  filepath.Join(dir, "clickhouse.out.log"),
			extraLog: []string{filepath.Join(dir, "log", "clickhouse-server.err.log")},
			ready:    func() (bool, string) { return probe(c.HTTPURL()+"/ping", "Ok.") },
			ports:    []int{c.tcpPort, c.httpPort},
			env:      []string{ClickHouseMallocConf},
			onReady:  deprioritizeMerges,
		}, nil
	})
	if err != nil {
		return nil, err
	}
	c.proc = p
	return c, nil
}

// writeConfig writes config.xml and users.xml for ClickHouse 18.16 (and later:
// the root element <yandex> is still accepted by current releases).
func (c *ClickHouse) writeConfig() error {
	for _, sub := range []string{"data", "tmp", "user_files", "format_schemas", "log"} {
		if err := os.MkdirAll(filepath.Join(c.dir, sub), 0o755); err != nil {
			return err
		}
	}
	// Directory settings need the trailing slash: 18.16 concatenates them.
	d := func(sub string) string { return xmlText(filepath.Join(c.dir, sub) + "/") }
	config := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>%s</log>
        <errorlog>%s</errorlog>
        <size>10M</size>
        <count>1</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>%d</tcp_port>
    <http_port>%d</http_port>
    <path>%s</path>
    <tmp_path>%s</tmp_path>
    <user_files_path>%s</user_files_path>
    <format_schema_path>%s</format_schema_path>
    <users_config>%s</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mark_cache_size>67108864</mark_cache_size>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <max_concurrent_queries>100</max_concurrent_queries>
    <keep_alive_timeout>1</keep_alive_timeout>
    <shutdown_wait_unfinished>1</shutdown_wait_unfinished>
    <mlock_executable>false</mlock_executable>
</yandex>
`,
		xmlText(filepath.Join(c.dir, "log", "clickhouse-server.log")),
		xmlText(filepath.Join(c.dir, "log", "clickhouse-server.err.log")),
		c.tcpPort, c.httpPort,
		d("data"), d("tmp"), d("user_files"), d("format_schemas"),
		xmlText(filepath.Join(c.dir, "users.xml")),
	)
	users := `<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>random</load_balancing>
            <!-- idle native connections notice a shutdown after 1 s, not 10 s -->
            <poll_interval>1</poll_interval>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>::1</ip>
                <ip>127.0.0.1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
`
	if err := os.WriteFile(filepath.Join(c.dir, "config.xml"), []byte(config), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(c.dir, "users.xml"), []byte(users), 0o644)
}

func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// TCPAddr returns the native protocol address, "127.0.0.1:port", as
// clickhouse.Options.Addr wants it.
func (c *ClickHouse) TCPAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.tcpPort))
}

// HTTPURL returns the HTTP interface's base URL, "http://127.0.0.1:port".
func (c *ClickHouse) HTTPURL() string {
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(c.httpPort))
}

// RunningClickHouse returns a ClickHouse for a server started elsewhere (for example one a benchmark seeded
// before), by its native and HTTP ports on 127.0.0.1. Nothing stops it.
func RunningClickHouse(tcpPort, httpPort int) *ClickHouse {
	return &ClickHouse{tcpPort: tcpPort, httpPort: httpPort}
}

// DSN returns a native protocol DSN for clickhouse.ParseDSN, as
// "clickhouse://127.0.0.1:port/database".
func (c *ClickHouse) DSN(database string) string {
	return "clickhouse://" + c.TCPAddr() + "/" + database
}

// Dir returns the instance's directory (config, data, logs).
func (c *ClickHouse) Dir() string { return c.dir }

// Query runs sql through the HTTP interface and returns the response body
// (TabSeparated unless sql says FORMAT). It fails the test on any error.
func (c *ClickHouse) Query(t testing.TB, sql string) string {
	t.Helper()
	out, err := c.TryQuery(sql)
	if err != nil {
		t.Fatalf("testenv: clickhouse: %v", err)
	}
	return out
}

// TryQuery is Query that returns the error instead of failing the test, for
// tests that expect one (for example while the server is stopped).
func (c *ClickHouse) TryQuery(sql string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.HTTPURL()+"/", strings.NewReader(sql))
	if err != nil {
		return "", err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("query %q: %w", abbreviate(sql), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("query %q: read response: %w", abbreviate(sql), err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("query %q: %s: %s", abbreviate(sql), resp.Status, bytes.TrimSpace(body))
	}
	return string(body), nil
}

func abbreviate(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// NewDatabase creates a database with a unique name (test_<random>) and
// returns the name. It is dropped when the test ends.
func (c *ClickHouse) NewDatabase(t testing.TB) string {
	t.Helper()
	name := "test_" + randomSuffix(12)
	c.Query(t, "CREATE DATABASE "+name)
	t.Cleanup(func() {
		if c.proc.running() {
			_, _ = c.TryQuery("DROP DATABASE IF EXISTS " + name)
		}
	})
	return name
}

// Stop stops the server (SIGTERM, SIGKILL after 5 s) and returns once the
// process is gone and both ports refuse connections. Data stays on disk for
// Start. Call Stop and Start only from the test that started the server (it
// fails that test), and never on SharedClickHouse.
func (c *ClickHouse) Stop() {
	c.mustOwn("Stop")
	c.t.Helper()
	if err := c.proc.stop(); err != nil {
		c.t.Fatalf("testenv: stop clickhouse: %v", err)
	}
}

// Start starts a stopped server again on the same ports and data directory
// and waits until it answers.
func (c *ClickHouse) Start() {
	c.mustOwn("Start")
	c.t.Helper()
	if err := c.proc.start(); err != nil {
		c.t.Fatalf("testenv: restart clickhouse: %v", err)
	}
	c.t.Logf("testenv: clickhouse restarted in %s", c.proc.startup.Round(time.Millisecond))
}

func (c *ClickHouse) mustOwn(method string) {
	if c.t == nil {
		panic("testenv: ClickHouse." + method + " on the shared instance: outage tests must use StartClickHouse")
	}
}

// ClickHouse shares the machine with what is tested, as in the stack (scripts/stack does the same two things):
//
//   - ClickHouseMallocConf keeps memory jemalloc has freed for reuse instead of returning it to the kernel after
//     10 s: each page returned and touched again is a page fault, and in the VMs these tests run in page faults
//     were a third of ClickHouse's CPU while merging (perf), and 25% of its CPU per notification went away
//     (BENCHMARKS.md). Its memory is still bounded by max_memory_usage.
//   - deprioritizeMerges runs the background merge threads under SCHED_IDLE, so merging (bursts of a core or more)
//     takes only CPU nothing else wants: merges can wait, a notification being accepted cannot. Nice 19 was not
//     enough: the scheduler kept waking the receiver's threads on the CPU they had left, next to the other one busy
//     merging, and merges still took 0.8-1.0 cores in the receiver's worst seconds; a CPU running only SCHED_IDLE
//     threads counts as idle when it picks where to wake a thread.
const ClickHouseMallocConf = "MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1"

// ClickHouseMergeThread starts the names of ClickHouse 18.16's merge threads (its background processing pool).
const ClickHouseMergeThread = "BackgrProcPool"
