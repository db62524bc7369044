package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/store"
)

type config struct {
	HTTPURL   string // ClickHouse HTTP interface, http://host:port
	DSN       string // native DSN, for store.Migrate
	Database  string
	Incidents int
	Events    int
	Seed      uint64
	Days      int
	Now       time.Time
	BatchRows int
	Workers   int
	Inserters int
	Optimize  bool
	FullRows  bool // write the state columns on every row, not only on write_state rows
	Drop      bool // drop the database first
	Log       io.Writer
}

// summary is what a run produced.
type summary struct {
	BigIncident                     string // the incident with exactly bigEvents events
	Incidents, Events, Alerts       int64  // alerts: alert episodes
	Open, Drills, Flagged, Manual   int64
	InsertTime, OptimizeTime, Total time.Duration
}

const (
	bigEvents      = 1000
	minEvents      = 2
	maxEvents      = 500 // for every incident but the big one
	chunkIncidents = 250
)

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (c *config) validate() error {
	switch {
	case !identifier.MatchString(c.Database):
		return fmt.Errorf("--database %q: use letters, digits and _ only", c.Database)
	case c.Incidents < 1:
		return fmt.Errorf("--incidents must be at least 1")
	case c.Events < bigEvents+minEvents*(c.Incidents-1):
		return fmt.Errorf("--events must be at least %d for %d incidents (%d for the big one, %d for each other)",
			bigEvents+minEvents*(c.Incidents-1), c.Incidents, bigEvents, minEvents)
	case c.Events > bigEvents+maxEvents*(c.Incidents-1):
		return fmt.Errorf("--events must be at most %d for %d incidents", bigEvents+maxEvents*(c.Incidents-1), c.Incidents)
	case c.Days < 1:
		return fmt.Errorf("--days must be at least 1")
	case c.BatchRows < 1 || c.Workers < 1 || c.Inserters < 1:
		return fmt.Errorf("--batch-rows, --workers and --inserters must be at least 1")
	case c.Now.Unix() < int64(c.Days)*86400 || c.Now.Unix() > math.MaxUint32:
		return fmt.Errorf("--now out of the DateTime range")
	}
	if _, err := url.Parse(c.HTTPURL); err != nil {
		return fmt.Errorf("--clickhouse-http: %w", err)
	}
	return nil
}

func (c *config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

// run creates the schema, generates and inserts everything, and merges the tables.
func run(ctx context.Context, cfg config) (summary, error) {
	var sum summary
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if err := cfg.validate(); err != nil {
		return sum, err
	}
	start := time.Now()
	if cfg.Drop {
		if _, err := httpQuery(ctx, cfg.HTTPURL, "DROP DATABASE IF EXISTS `"+cfg.Database+"`"); err != nil {
			return sum, err
		}
		cfg.logf("dropped database %s", cfg.Database)
	}
	s, err := store.Open(cfg.DSN, nil)
	if err != nil {
		return sum, err
	}
	err = s.Migrate(ctx)
	s.Close()
	if err != nil {
		return sum, err
	}
	// Seeding into a filled database would mix two data sets.
	n, err := httpQuery(ctx, cfg.HTTPURL, "SELECT count() FROM `"+cfg.Database+"`.events")
	if err != nil {
		return sum, err
	}
	if n = strings.TrimSpace(n); n != "0" {
		return sum, fmt.Errorf("database %s already holds %s events: use --drop to replace it, or another --database", cfg.Database, n)
	}
	cfg.logf("schema ready in database %s; generating %d incidents with %d events (seed %d, %d days up to %s)",
		cfg.Database, cfg.Incidents, cfg.Events, cfg.Seed, cfg.Days, cfg.Now.Format(time.RFC3339))

	counts, big := plan(cfg)
	if err := insertAll(ctx, cfg, counts, big, &sum); err != nil {
		return sum, err
	}
	sum.InsertTime = time.Since(start)
	cfg.logf("inserted %d events of %d incidents (%d alert episodes) in %s: %.0f rows/s",
		sum.Events, sum.Incidents, sum.Alerts, sum.InsertTime.Round(time.Millisecond), float64(sum.Events)/sum.InsertTime.Seconds())
	cfg.logf("incident with %d events: %s", bigEvents, sum.BigIncident)

	if cfg.Optimize {
		t := time.Now()
		cfg.logf("merging events, incident_state, incident_state_by_time, alerts and incident_index (OPTIMIZE TABLE ... FINAL per partition; this may take a while)")
		if err := optimize(ctx, cfg); err != nil {
			return sum, err
		}
		sum.OptimizeTime = time.Since(t)
		cfg.logf("merged in %s", sum.OptimizeTime.Round(time.Millisecond))
	}
	sum.Total = time.Since(start)
	cfg.logf("done in %s: %d incidents (%d open, %d drills, %d regulatory flagged, %d declared by hand), %d events, %d alert episodes",
		sum.Total.Round(time.Millisecond), sum.Incidents, sum.Open, sum.Drills, sum.Flagged, sum.Manual, sum.Events, sum.Alerts)
	return sum, nil
}

// plan decides how many events each incident gets: exactly cfg.Events in total, one incident (big) with bigEvents,
// the others mostly between half and one and a half times the mean, some very short ones and a long tail.
func plan(cfg config) (counts []int32, big int) {
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	n := cfg.Incidents
	counts = make([]int32, n)
	big = rng.IntN(n)
	counts[big] = bigEvents
	if n == 1 {
		return counts, big
	}
	mean := float64(cfg.Events-bigEvents) / float64(n-1)
	lo := max(minEvents, int(math.Round(mean*0.5)))
	hi := max(lo, int(math.Round(mean*1.5)))
	total := int64(bigEvents)
	for i := range counts {
		if i == big {
			continue
		}
		var k int
		switch r := rng.Float64(); {
		case r < 0.08:
			k = minEvents + rng.IntN(3)
		case r < 0.96:
			k = lo + rng.IntN(hi-lo+1)
		default:
			k = int(2*mean) + rng.IntN(int(4*mean)+1)
		}
		k = min(max(k, minEvents), maxEvents)
		counts[i] = int32(k)
		total += int64(k)
	}
	// Adjust to the exact total, one event at a time on random incidents.
	for diff := int64(cfg.Events) - total; diff != 0; {
		i := rng.IntN(n)
		switch {
		case i == big:
		case diff > 0 && counts[i] < maxEvents:
			counts[i]++
			diff--
		case diff < 0 && counts[i] > minEvents:
			counts[i]--
			diff++
		}
	}
	return counts, big
}

// chunk is the rows of a run of incidents, JSONEachRow.
type chunk struct {
	buf                                            []byte
	rows, incidents, alerts, open, drills, flagged int64
	manual                                         int64
	big                                            string
}

var bufPool = sync.Pool{New: func() any { return make([]byte, 0, 4<<20) }}

func insertAll(ctx context.Context, cfg config, counts []int32, big int, sum *summary) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	nChunks := (len(counts) + chunkIncidents - 1) / chunkIncidents
	jobs := make(chan int)
	chunks := make(chan *chunk, 2*cfg.Workers)
	var wg sync.WaitGroup
	go func() {
		defer close(jobs)
		for j := range nChunks {
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	ais := aiSystems()
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				c, err := generateChunk(cfg, ais, counts, big, j)
				if err != nil {
					cancel(err)
					return
				}
				select {
				case chunks <- c:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(chunks) }()

	var (
		committedRows, committedIncidents atomic.Int64
		mu                                sync.Mutex
		iwg                               sync.WaitGroup
	)
	insertURL := strings.TrimRight(cfg.HTTPURL, "/") + "/?query=" +
		url.QueryEscape("INSERT INTO `"+cfg.Database+"`.ingest FORMAT JSONEachRow")
	for range cfg.Inserters {
		iwg.Add(1)
		go func() {
			defer iwg.Done()
			for {
				var batch summary
				n, err := insertBatch(ctx, insertURL, chunks, cfg.BatchRows, &batch)
				if err != nil {
					cancel(err)
					return
				}
				if n == 0 {
					return
				}
				committedRows.Add(batch.Events)
				committedIncidents.Add(batch.Incidents)
				mu.Lock()
				sum.Events += batch.Events
				sum.Incidents += batch.Incidents
				sum.Alerts += batch.Alerts
				sum.Open += batch.Open
				sum.Drills += batch.Drills
				sum.Flagged += batch.Flagged
				sum.Manual += batch.Manual
				if batch.BigIncident != "" {
					sum.BigIncident = batch.BigIncident
				}
				mu.Unlock()
			}
		}()
	}

	done := make(chan struct{})
	start := time.Now()
	go func() {
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				rows := committedRows.Load()
				el := time.Since(start)
				cfg.logf("  %s: %d/%d events (%.0f%%), %d incidents, %.0f rows/s", el.Round(time.Second), rows, cfg.Events,
					100*float64(rows)/float64(cfg.Events), committedIncidents.Load(), float64(rows)/el.Seconds())
			}
		}
	}()
	iwg.Wait()
	close(done)
	// Let the generators finish (they stop on cancellation) before reporting.
	for range chunks {
	}
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if sum.Events != int64(cfg.Events) || sum.Incidents != int64(cfg.Incidents) {
		return fmt.Errorf("inserted %d events of %d incidents, want %d of %d", sum.Events, sum.Incidents, cfg.Events, cfg.Incidents)
	}
	return nil
}

var httpClient = &http.Client{}

// insertBatch streams chunks into one INSERT until it holds at least batchRows rows or the chunks run out. It
// returns the number of rows inserted (0 when there was nothing left).
func insertBatch(ctx context.Context, insertURL string, chunks <-chan *chunk, batchRows int, batch *summary) (int64, error) {
	var first *chunk
	select {
	case c, ok := <-chunks:
		if !ok {
			return 0, nil
		}
		first = c
	case <-ctx.Done():
		return 0, context.Cause(ctx)
	}
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, insertURL, pr)
	if err != nil {
		return 0, err
	}
	type result struct {
		err error
	}
	resc := make(chan result, 1)
	go func() {
		resp, err := httpClient.Do(req)
		if err != nil {
			pr.CloseWithError(err)
			resc <- result{err}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		if resp.StatusCode != http.StatusOK {
			err := fmt.Errorf("insert: %s: %s", resp.Status, bytes.TrimSpace(body))
			pr.CloseWithError(err)
			resc <- result{err}
			return
		}
		resc <- result{}
	}()
	c := first
	var writeErr error
	for c != nil {
		if _, err := pw.Write(c.buf); err != nil {
			writeErr = err
		}
		batch.Events += c.rows
		batch.Incidents += c.incidents
		batch.Alerts += c.alerts
		batch.Open += c.open
		batch.Drills += c.drills
		batch.Flagged += c.flagged
		batch.Manual += c.manual
		if c.big != "" {
			batch.BigIncident = c.big
		}
		bufPool.Put(c.buf[:0]) //nolint:staticcheck // a slice header is fine here
		if writeErr != nil || batch.Events >= int64(batchRows) {
			break
		}
		select {
		case next, ok := <-chunks:
			if !ok {
				c = nil
			} else {
				c = next
			}
		case <-ctx.Done():
			pw.CloseWithError(context.Cause(ctx))
			<-resc
			return 0, context.Cause(ctx)
		}
	}
	pw.Close()
	res := <-resc
	if res.err != nil {
		return 0, res.err
	}
	if writeErr != nil {
		return 0, writeErr
	}
	return batch.Events, nil
}

// optimize merges every partition of the tables behind the views into one part, so FINAL has nothing left to do. OPTIMIZE
// without PARTITION merges only one partition on old releases, and is a no-op while a merge is running, so it runs
// per partition and is repeated until each has one part.
func optimize(ctx context.Context, cfg config) error {
	for _, table := range []string{"events", "incident_state", "incident_state_by_time", "alerts", "incident_index",
		"regulatory_state", "containment_outcomes"} {
		for attempt := 0; ; attempt++ {
			out, err := httpQuery(ctx, cfg.HTTPURL, fmt.Sprintf(
				"SELECT partition, count() FROM system.parts WHERE database = '%s' AND table = '%s' AND active GROUP BY partition ORDER BY partition",
				cfg.Database, table))
			if err != nil {
				return err
			}
			var todo []string
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				f := strings.Split(line, "\t")
				if len(f) != 2 || f[1] == "1" {
					continue
				}
				if _, err := strconv.ParseUint(f[0], 10, 32); err != nil && f[0] != "tuple()" && f[0] != "all" {
					return fmt.Errorf("unexpected partition %q of %s", f[0], table)
				}
				todo = append(todo, f[0])
			}
			if len(todo) == 0 {
				break
			}
			if attempt == 10 {
				return fmt.Errorf("%s: partitions %v still have several parts after %d OPTIMIZE rounds", table, todo, attempt)
			}
			if attempt > 0 {
				time.Sleep(time.Second)
			}
			for _, p := range todo {
				t := time.Now()
				stmt := fmt.Sprintf("OPTIMIZE TABLE `%s`.`%s` PARTITION %s FINAL", cfg.Database, table, p)
				if p == "tuple()" || p == "all" { // unpartitioned
					stmt = fmt.Sprintf("OPTIMIZE TABLE `%s`.`%s` FINAL", cfg.Database, table)
				}
				if _, err := httpQuery(ctx, cfg.HTTPURL, stmt); err != nil {
					return err
				}
				cfg.logf("  OPTIMIZE TABLE %s.%s PARTITION %s FINAL: %s", cfg.Database, table, p, time.Since(t).Round(time.Millisecond))
			}
		}
	}
	return nil
}

func httpQuery(ctx context.Context, base, query string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/", strings.NewReader(query))
	if err != nil {
		return "", err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("%s: %w", firstWords(query), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("%s: %w", firstWords(query), err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s: %s", firstWords(query), resp.Status, bytes.TrimSpace(body))
	}
	return string(body), nil
}

func firstWords(q string) string {
	if len(q) > 80 {
		return q[:80] + "..."
	}
	return q
}
