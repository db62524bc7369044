//go:build linux

package bench

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

// seededClickHouse is a ClickHouse with a database seeded by cmd/firebreak-seed: a new server and database, or the
// one the environment variable reuseVar names ("<native port> <http port> <database>", seeded before on a running
// server), which is only migrated to the current schema. seedTook is 0 for a reused database.
func seededClickHouse(b *testing.B, reuseVar string, incidents, events int) (ch *testenv.ClickHouse, db string, seedTook time.Duration) {
	b.Helper()
	reuse := os.Getenv(reuseVar)
	if reuse != "" {
		var tcpPort, httpPort int
		if _, err := fmt.Sscan(reuse, &tcpPort, &httpPort, &db); err != nil {
			b.Fatalf("%s=%q: want \"<native port> <http port> <database>\": %v", reuseVar, reuse, err)
		}
		ch = testenv.RunningClickHouse(tcpPort, httpPort)
	} else {
		ch = testenv.StartClickHouse(b)
		db = ch.NewDatabase(b)
	}
	// The seed command migrates the schema first; it refuses to fill a database that holds events already.
	start := time.Now()
	seed := exec.Command(testenv.GoBuild(b, "cmd/firebreak-seed"), "--clickhouse-http", ch.HTTPURL(), "--clickhouse-dsn",
		ch.DSN(db), "--database", db, "--incidents", strconv.Itoa(incidents), "--events", strconv.Itoa(events))
	out, err := seed.CombinedOutput()
	switch {
	case err == nil && reuse == "":
		seedTook = time.Since(start)
	case err == nil:
		b.Fatalf("%s names database %s, which held no events: it was seeded now", reuseVar, db)
	case reuse == "" || !strings.Contains(string(out), "already holds"):
		b.Fatalf("seed: %v\n%s", err, out)
	}
	return ch, db, seedTook
}
