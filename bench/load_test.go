//go:build linux

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// payloads builds Alertmanager v4 webhook bodies with exactly one firing alert each. Alert i belongs to group
// i % len(groups); every alert has its own fingerprint, instance label and startsAt, so each is a new alert episode
// that attaches to its group's open incident.
type payloads struct {
	phase  int // distinguishes the fingerprints of the runs of one benchmark
	groups []template
}

// template is one group's body, split around the per-alert values.
type template struct {
	parts [][]byte // parts[0] slot[0] parts[1] slot[1] ... parts[n]
	slots []string // "FP", "TS" or "INST"
	key   string   // groupKey
}

var (
	aiSystems  = []string{"supportbot", "codeassist", "search-ranker", "fraud-scorer", "doc-summarizer"}
	alertNames = []string{"LLMHallucinationRateHigh", "PromptInjectionDetected", "EmbeddingDriftDetected",
		"FairnessDisparityHigh", "PIILeakDetected", "LLMLatencyHigh", "LLMErrorRateHigh", "HumanReviewBacklogHigh",
		"UnapprovedModelInUse", "GroundednessScoreLow"}
	severities = []string{"critical", "warning", "warning", "info"}
	slotRE     = regexp.MustCompile(`__(FP|TS|INST)__`)
)

// Alertmanager's webhook message, in its field order.
type amMessage struct {
	Receiver          string            `json:"receiver"`
	Status            string            `json:"status"`
	Alerts            []amAlert         `json:"alerts"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
}

type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

func newPayloads(phase, groups int) *payloads {
	p := &payloads{phase: phase}
	for g := range groups {
		system := aiSystems[g%len(aiSystems)]
		if g >= len(aiSystems)*len(alertNames) {
			system += "-" + strconv.Itoa(g/(len(aiSystems)*len(alertNames)))
		}
		name := alertNames[(g/len(aiSystems))%len(alertNames)]
		labels := map[string]string{"alertname": name, "ai_system": system, "severity": severities[g%len(severities)],
			"instance": "__INST__", "job": system + "-inference", "model_version": "v" + strconv.Itoa(1+g%3)}
		annotations := map[string]string{
			"summary":     name + " on " + system,
			"description": "The " + name + " rule of " + system + " has been above its threshold for 2 minutes.",
			"runbook_url": "https://runbooks.example.com/ai/" + name,
		}
		key := fmt.Sprintf(`{}/{severity=~"critical|warning|info"}:{ai_system=%q, alertname=%q}`, system, name)
		body, err := json.Marshal(amMessage{
			Receiver: "firebreak", Status: "firing",
			Alerts: []amAlert{{Status: "firing", Labels: labels, Annotations: annotations, StartsAt: "__TS__",
				EndsAt: "0001-01-01T00:00:00Z", Fingerprint: "__FP__",
				GeneratorURL: "http://prometheus:9090/graph?g0.expr=ai%3A" + name + "%3Aratio5m+%3E+0.05&g0.tab=1"}},
			GroupLabels:       map[string]string{"ai_system": system, "alertname": name},
			CommonLabels:      labels,
			CommonAnnotations: annotations,
			ExternalURL:       "http://alertmanager:9093",
			Version:           "4",
			GroupKey:          key,
		})
		if err != nil {
			panic(err)
		}
		t := template{key: key}
		last := 0
		for _, m := range slotRE.FindAllSubmatchIndex(body, -1) {
			t.parts = append(t.parts, body[last:m[0]])
			t.slots = append(t.slots, string(body[m[2]:m[3]]))
			last = m[1]
		}
		t.parts = append(t.parts, body[last:])
		p.groups = append(p.groups, t)
	}
	return p
}

// fingerprint of alert i: 16 hex digits, unique per phase and alert.
func (p *payloads) fingerprint(i int64) string {
	return fmt.Sprintf("%x%015x", p.phase&0xf, i)
}

// body appends the body of alert i, which started at startsAt, to dst.
func (p *payloads) body(dst []byte, i int64, startsAt time.Time) (body []byte, fingerprint string) {
	t := &p.groups[int(i%int64(len(p.groups)))]
	fp := p.fingerprint(i)
	for k, part := range t.parts {
		dst = append(dst, part...)
		if k == len(t.slots) {
			break
		}
		switch t.slots[k] {
		case "FP":
			dst = append(dst, fp...)
		case "TS":
			dst = startsAt.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
		case "INST":
			dst = fmt.Appendf(dst, "10.%d.%d.%d:8080", byte(i>>16), byte(i>>8), byte(i))
		}
	}
	return dst, fp
}

// sample is one request: when it was meant to go out (paced) or went out (closed loop), relative to the start of
// the run, how long until its answer, and the status (0: no answer).
type sample struct {
	off, lat time.Duration
	code     int
}

// loadRun configures one run of the generator.
type loadRun struct {
	url         string  // base URL of the server
	rate        float64 // notifications/s for a paced run; 0 for closed loop (as fast as answers come)
	duration    time.Duration
	concurrency int
	payloads    *payloads
	// onAccepted, if set, is called for every 200 answer with the alert's index, fingerprint and the time the
	// answer arrived.
	onAccepted func(i int64, fingerprint string, at time.Time)
	progress   func(format string, args ...any)
}

// loadResult is what a run did.
type loadResult struct {
	mode        string
	rate        float64
	duration    time.Duration
	concurrency int
	elapsed     time.Duration // start to the last answer
	intended    int64         // paced: requests scheduled within the duration
	sent        int64
	ok          int64
	codes       map[int]int64 // non-200 answers by status
	noAnswer    int64         // transport errors: outcome unknown
	firstErr    string
	started     time.Time // when the clock of samples' offsets started
	samples     []sample  // every request that got an answer, in no particular order
	lat         []time.Duration
}

// latePaceLimit is how far behind schedule a paced run may fall at its end before it stops sending the rest.
const latePaceLimit = 5 * time.Second

// run drives the load. A paced run is open loop: request i is due at start + i/rate whatever happened before, and
// its latency is measured from that due time, so time spent waiting for a free connection counts (no coordinated
// omission). A closed-loop run sends the next request on a connection as soon as the previous answer arrived and
// measures from the send.
func (r loadRun) run(ctx context.Context) loadResult {
	// The connections are open before the clock starts, as a long-running sender has them open.
	conns := make([]*postConn, r.concurrency)
	for k := range conns {
		c, err := newPostConn(r.url+"/api/v1/webhook", 30*time.Second)
		if err == nil {
			err = c.dial()
		}
		if err != nil {
			panic(fmt.Sprintf("load generator: %v", err))
		}
		conns[k] = c
		defer c.close()
	}

	res := loadResult{mode: "closed loop", rate: r.rate, duration: r.duration, concurrency: r.concurrency,
		codes: map[int]int64{}}
	if r.rate > 0 {
		res.mode = "paced (open loop)"
		res.intended = int64(r.duration.Seconds() * r.rate)
	}
	var (
		next, sent, ok, noAnswer atomic.Int64
		lastDone                 atomic.Int64
		mu                       sync.Mutex
		wg                       sync.WaitGroup
	)
	perWorker := 1024
	if r.rate > 0 {
		perWorker = int(res.intended)/r.concurrency + 1024
	}
	startWall := time.Now()
	start := startWall // monotonic
	res.started = start
	done := make(chan struct{})
	if r.progress != nil {
		go func() {
			tick := time.NewTicker(10 * time.Second)
			defer tick.Stop()
			var prev int64
			for {
				select {
				case <-done:
					return
				case <-tick.C:
					n := sent.Load()
					r.progress("  %s: %3.0fs sent %d (%d/s in the last 10 s), 200s %d, no answer %d",
						res.mode, time.Since(start).Seconds(), n, (n-prev)/10, ok.Load(), noAnswer.Load())
					prev = n
				}
			}
		}()
	}
	for _, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]sample, 0, perWorker)
			codes := map[int]int64{}
			var buf []byte
			var firstErr string
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				var due time.Duration
				if r.rate > 0 {
					due = time.Duration(float64(i) * float64(time.Second) / r.rate)
					if due >= r.duration {
						break
					}
					now := time.Since(start)
					if now > r.duration+latePaceLimit {
						break // hopelessly behind: the rest counts as not sent
					}
					if now < due {
						time.Sleep(due - now)
					}
				} else {
					due = time.Since(start)
					if due >= r.duration {
						break
					}
				}
				var fp string
				buf, fp = r.payloads.body(buf[:0], i, startWall.Add(due).Add(-30*time.Second))
				sent.Add(1)
				code, err := conn.post(buf)
				end := time.Since(start)
				lastDone.Store(int64(end))
				if err != nil {
					noAnswer.Add(1)
					if firstErr == "" {
						firstErr = err.Error()
					}
					continue
				}
				local = append(local, sample{off: due, lat: end - due, code: code})
				if code == http.StatusOK {
					ok.Add(1)
					if r.onAccepted != nil {
						r.onAccepted(i, fp, start.Add(end))
					}
				} else {
					codes[code]++
					if firstErr == "" {
						firstErr = fmt.Sprintf("HTTP %d", code)
					}
				}
			}
			mu.Lock()
			res.samples = append(res.samples, local...)
			for c, n := range codes {
				res.codes[c] += n
			}
			if res.firstErr == "" {
				res.firstErr = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(done)
	res.elapsed = time.Duration(lastDone.Load())
	res.sent, res.ok, res.noAnswer = sent.Load(), ok.Load(), noAnswer.Load()
	res.lat = make([]time.Duration, len(res.samples))
	for k, s := range res.samples {
		res.lat[k] = s.lat
	}
	slices.Sort(res.lat)
	return res
}

// rate is the accepted notifications per second over the run.
func (r *loadResult) achieved() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ok) / r.elapsed.Seconds()
}

func (r *loadResult) non200() int64 {
	var n int64
	for _, c := range r.codes {
		n += c
	}
	return n
}

// quantile of sorted durations (nearest rank); 0 for none.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(k, len(sorted)-1))]
}

// window is one slice of a run's timeline.
type window struct {
	from, to       time.Duration
	answered       int64 // answers that arrived in the window
	scheduled      int   // requests due in the window that got an answer
	p50, p99, maxL time.Duration
	rssMax         int64
}

// windows cuts the run into slices of width w: answers per slice by arrival time, latency by due time.
func (r *loadResult) windows(w time.Duration, rss []rssSample) []window {
	n := int((r.elapsed + w - 1) / w)
	if n == 0 {
		return nil
	}
	out := make([]window, n)
	lats := make([][]time.Duration, n)
	for k := range out {
		out[k].from, out[k].to = time.Duration(k)*w, time.Duration(k+1)*w
	}
	for _, s := range r.samples {
		if k := int((s.off + s.lat) / w); k < n {
			out[k].answered++
		}
		if k := int(s.off / w); k < n {
			lats[k] = append(lats[k], s.lat)
		}
	}
	for k := range out {
		out[k].to = min(out[k].to, r.elapsed)
		out[k].scheduled = len(lats[k])
		slices.Sort(lats[k])
		out[k].p50, out[k].p99 = quantile(lats[k], 0.50), quantile(lats[k], 0.99)
		if len(lats[k]) > 0 {
			out[k].maxL = lats[k][len(lats[k])-1]
		}
	}
	for _, s := range rss {
		if k := int(s.off / w); k >= 0 && k < n {
			out[k].rssMax = max(out[k].rssMax, s.rss)
		}
	}
	return out
}
