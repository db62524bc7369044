package plugin

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

func TestCursorsRoundTrip(t *testing.T) {
	for _, c := range []any{
		&timelineCursor{AfterSeq: 1},
		&timelineCursor{AfterSeq: math.MaxUint32},
		&alertsCursor{AfterStart: 1_764_064_800_123_456_789, AfterKey: "a1b2c3d4e5f60718@1764064800123"},
		&alertsCursor{AfterStart: -1, AfterKey: `f"p\ü@1`},
	} {
		s := encodeCursor(c)
		assert.Regexp(t, `^[A-Za-z0-9_-]+$`, s, "URL-safe without escaping")
		switch c := c.(type) {
		case *timelineCursor:
			var got timelineCursor
			require.NoError(t, decodeCursor(s, &got))
			assert.Equal(t, *c, got)
		case *alertsCursor:
			var got alertsCursor
			require.NoError(t, decodeCursor(s, &got))
			assert.Equal(t, *c, got)
		}
	}
}

// cursorSeeds are cursors this API makes and ones it must refuse; the fuzz target starts from them.
var cursorSeeds = []struct {
	cursor   string
	timeline bool // a valid timeline cursor
	alerts   bool // a valid alerts cursor
}{
	{encodeCursor(timelineCursor{AfterSeq: 500}), true, false},
	{encodeCursor(alertsCursor{AfterStart: 1_764_064_800_000_000_000, AfterKey: "fp@1764064800000"}), false, true},
	{"", false, false},
	{"%27%3B%20DROP", false, false},
	{"not base64!", false, false},
	{b64(`{"after_seq":0}`), false, false},                         // no event has seq 0
	{b64(`{"after_seq":-1}`), false, false},                        // out of range
	{b64(`{"after_seq":4294967296}`), false, false},                // out of range
	{b64(`{"after_seq":5,"x":1}`), false, false},                   // unknown field
	{b64(`{"after_seq":5}{}`), false, false},                       // trailing data
	{b64(`{"after_seq":5} `), false, false},                        // not as this API writes it
	{b64(`{"after_seq":5.0}`), false, false},                       // not an integer
	{b64(`{"after_seq":"5"}`), false, false},                       // not a number
	{b64(`{"after_key":"k","after_start":1}`), false, false},       // another field order
	{b64(`{"after_start":1,"after_key":""}`), false, false},        // no key
	{b64(`{"after_start":1}`), false, false},                       // no key
	{b64(`{"after_start":1,"after_key":"k"}`) + "=", false, false}, // padded
	{b64(`null`), false, false},
	{b64(`[]`), false, false},
	{base64.StdEncoding.EncodeToString([]byte(`{"after_seq":10234}`)), false, false}, // standard alphabet with padding
	{b64(`{"after_seq":500}`)[:10], false, false},                                    // cut
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestDecodeCursor(t *testing.T) {
	for _, tc := range cursorSeeds {
		var tl timelineCursor
		var al alertsCursor
		assert.Equal(t, tc.timeline, decodeCursor(tc.cursor, &tl) == nil, "as a timeline cursor: %q", tc.cursor)
		assert.Equal(t, tc.alerts, decodeCursor(tc.cursor, &al) == nil, "as an alerts cursor: %q", tc.cursor)
	}
}

// A cursor decodes only as exactly what encodeCursor writes of the same position: never a panic, and whatever it
// accepts encodes back to the same string.
func FuzzDecodeCursor(f *testing.F) {
	for _, tc := range cursorSeeds {
		f.Add(tc.cursor)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var tl timelineCursor
		if decodeCursor(s, &tl) == nil {
			if tl.AfterSeq == 0 || encodeCursor(tl) != s {
				t.Fatalf("accepted %q as %+v", s, tl)
			}
		}
		var al alertsCursor
		if decodeCursor(s, &al) == nil {
			if al.AfterKey == "" || encodeCursor(al) != s {
				t.Fatalf("accepted %q as %+v", s, al)
			}
		}
	})
}

func TestTimelineGroup(t *testing.T) {
	for _, tc := range []struct {
		kind  incident.Kind
		actor string
		want  string
	}{
		{incident.KindAlertFired, "rule:X", groupAlerts},
		{incident.KindAlertResolved, "rule:X", groupAlerts},
		{incident.KindAlertsTruncated, incident.SystemActor, groupAlerts},
		{incident.KindContainmentRequested, "user:alice", groupContainment},
		{incident.KindContainmentSucceeded, incident.SystemActor, groupContainment},
		{incident.KindNote, "user:alice", groupPeople},
		{incident.KindAcknowledged, "user:bob", groupPeople},
		{incident.KindDeclared, "user:alice", groupPeople}, // declared by hand
		{incident.KindDeclared, "rule:X", groupSystem},
		{incident.KindSeverityChanged, "rule:X", groupSystem},
		{incident.KindResolved, incident.SystemActor, groupSystem}, // auto-resolve
		{incident.KindReopened, "rule:X", groupSystem},
	} {
		assert.Equal(t, tc.want, timelineGroup(&incident.Event{Kind: tc.kind, Actor: tc.actor}), "%s by %s", tc.kind, tc.actor)
	}
}

// timeline is a made-up timeline: declared, n alert events, a note after every tenth.
func timeline(n int) []incident.Event {
	events := []incident.Event{{Seq: 1, Kind: incident.KindDeclared, Actor: "rule:X"}}
	for i := range n {
		events = append(events, incident.Event{Seq: uint32(len(events) + 1), Kind: incident.KindAlertFired, Actor: "rule:X"})
		if i%10 == 9 {
			events = append(events, incident.Event{Seq: uint32(len(events) + 1), Kind: incident.KindNote, Actor: "user:alice"})
		}
	}
	return events
}

func seqs(events []incident.Event) []uint32 {
	out := []uint32{}
	for _, e := range events {
		out = append(out, e.Seq)
	}
	return out
}

func TestPageTimeline(t *testing.T) {
	events := timeline(30) // 1 declared, 30 alerts, notes at 12, 23, 34: 34 events
	require.Len(t, events, 34)
	cursor := func(seq uint32) string { return encodeCursor(timelineCursor{AfterSeq: seq}) }
	people := map[string]bool{groupPeople: true}
	tests := []struct {
		name     string
		after    uint32
		groups   map[string]bool
		limit    int
		wantSeqs []uint32
		wantNext string
	}{
		{"first page", 0, nil, 3, []uint32{1, 2, 3}, cursor(3)},
		{"middle", 3, nil, 3, []uint32{4, 5, 6}, cursor(6)},
		{"last page, exactly full", 31, nil, 3, []uint32{32, 33, 34}, ""},
		{"last page, short", 32, nil, 3, []uint32{33, 34}, ""},
		{"after the end", 34, nil, 3, []uint32{}, ""},
		{"far after the end", math.MaxUint32, nil, 3, []uint32{}, ""},
		{"all in one", 0, nil, 5000, seqs(events), ""},
		{"people", 0, people, 2, []uint32{12, 23}, cursor(23)},
		{"people, last", 23, people, 2, []uint32{34}, ""},
		{"people, exactly the rest", 12, people, 2, []uint32{23, 34}, ""},
		{"system", 0, map[string]bool{groupSystem: true}, 10, []uint32{1}, ""},
		{"people and system", 0, map[string]bool{groupSystem: true, groupPeople: true}, 10, []uint32{1, 12, 23, 34}, ""},
		{"none of that group", 0, map[string]bool{groupContainment: true}, 10, []uint32{}, ""},
		{"alerts after a note", 12, map[string]bool{groupAlerts: true}, 2, []uint32{13, 14}, cursor(14)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, next := pageTimeline(events, tt.after, tt.groups, tt.limit)
			assert.Equal(t, tt.wantSeqs, seqs(page))
			assert.Equal(t, tt.wantNext, next)
		})
	}
	// Paging through with every limit and filter gives every event of the filter once, in order.
	for _, groups := range []map[string]bool{nil, people, {groupAlerts: true}, {groupAlerts: true, groupSystem: true}} {
		for limit := 1; limit <= 35; limit++ {
			var got []uint32
			var after timelineCursor
			for pages := 0; ; pages++ {
				require.Less(t, pages, 100)
				page, next := pageTimeline(events, after.AfterSeq, groups, limit)
				got = append(got, seqs(page)...)
				if next == "" {
					break
				}
				require.NoError(t, decodeCursor(next, &after))
			}
			var want []uint32
			for i := range events {
				if len(groups) == 0 || groups[timelineGroup(&events[i])] {
					want = append(want, events[i].Seq)
				}
			}
			assert.Equal(t, want, got, "limit %d, groups %v", limit, groups)
		}
	}
}

// episodeList is a list of episodes for pageAlerts.
type episodeList []incident.AlertEpisode

func (l episodeList) Len() int                            { return len(l) }
func (l episodeList) Episode(i int) incident.AlertEpisode { return l[i] }

func TestPageAlerts(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	var alerts episodeList
	for i := range 10 {
		status := "firing"
		if i%3 == 0 {
			status = "resolved"
		}
		start := t0.Add(time.Duration(i/2) * time.Second) // two alerts per start time: ordered by key
		alerts = append(alerts, incident.AlertEpisode{Key: incident.AlertKey(fmt.Sprintf("fp%d", i), start), Status: status, StartsAt: start})
	}
	cursorOf := func(i int) *alertsCursor {
		return &alertsCursor{AfterStart: alerts[i].StartsAt.UnixNano(), AfterKey: alerts[i].Key}
	}
	next := func(i int) string { return encodeCursor(*cursorOf(i)) }
	tests := []struct {
		name     string
		after    *alertsCursor
		status   string
		limit    int
		want     []int
		wantNext string
	}{
		{"first page", nil, "", 3, []int{0, 1, 2}, next(2)},
		{"same start time as the cursor, later key", cursorOf(2), "", 3, []int{3, 4, 5}, next(5)},
		{"last, exactly full", cursorOf(6), "", 3, []int{7, 8, 9}, ""},
		{"after the last", cursorOf(9), "", 3, []int{}, ""},
		{"between two alerts (one gone)", &alertsCursor{AfterStart: alerts[4].StartsAt.UnixNano(), AfterKey: alerts[4].Key + "x"}, "", 2, []int{5, 6}, next(6)},
		{"before the first", &alertsCursor{AfterStart: 0, AfterKey: "a"}, "", 2, []int{0, 1}, next(1)},
		{"resolved", nil, "resolved", 3, []int{0, 3, 6}, next(6)},
		{"resolved, last", cursorOf(6), "resolved", 3, []int{9}, ""},
		{"firing", cursorOf(3), "firing", 10, []int{4, 5, 7, 8}, ""},
		{"none", nil, "", 3, []int{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := alerts
			if tt.name == "none" {
				list = nil
			}
			page, gotNext := pageAlerts(list, tt.after, tt.status, tt.limit)
			assert.Equal(t, tt.want, page)
			assert.Equal(t, tt.wantNext, gotNext)
		})
	}
	// Paging through with every limit and filter gives every episode of the filter once, in order.
	for _, status := range []string{"", "firing", "resolved"} {
		for limit := 1; limit <= 11; limit++ {
			var got []int
			var after *alertsCursor
			for pages := 0; ; pages++ {
				require.Less(t, pages, 20)
				page, next := pageAlerts(alerts, after, status, limit)
				got = append(got, page...)
				if next == "" {
					break
				}
				after = &alertsCursor{}
				require.NoError(t, decodeCursor(next, after))
			}
			var want []int
			for i, a := range alerts {
				if status == "" || a.Status == status {
					want = append(want, i)
				}
			}
			assert.Equal(t, want, got, "limit %d, status %q", limit, status)
		}
	}
}

func TestPagingParameters(t *testing.T) {
	for _, tc := range []struct {
		query string
		limit int
		err   string
	}{
		{"", 100, ""},
		{"limit=1", 1, ""},
		{"limit=1000", 1000, ""},
		{"limit=0", 0, `limit: "0" is not a number from 1 to 1000`},
		{"limit=1001", 0, `limit: "1001" is not a number from 1 to 1000`},
		{"limit=ten", 0, `limit: "ten" is not a number from 1 to 1000`},
		{"limit=", 0, `limit: "" is not a number from 1 to 1000`},
		{"limit=5&limit=6", 0, `limit: "5,6" is not a number from 1 to 1000`},
	} {
		q, err := url.ParseQuery(tc.query)
		require.NoError(t, err)
		n, err := limitParam(q, "limit", 100, 1000)
		if tc.err != "" {
			assert.EqualError(t, err, tc.err, tc.query)
			continue
		}
		require.NoError(t, err, tc.query)
		assert.Equal(t, tc.limit, n, tc.query)
	}
	for _, tc := range []struct {
		query string
		want  map[string]bool
		err   string
	}{
		{"", map[string]bool{}, ""},
		{"kind=people", map[string]bool{"people": true}, ""},
		{"kind=people,containment&kind=system", map[string]bool{"people": true, "containment": true, "system": true}, ""},
		{"kind=alerts,", map[string]bool{"alerts": true}, ""},
		{"kind=notes", nil, `kind: "notes" is not one of alerts, people, containment, system`},
		{"kind=People", nil, `kind: "People" is not one of alerts, people, containment, system`},
	} {
		q, err := url.ParseQuery(tc.query)
		require.NoError(t, err)
		got, err := timelineKinds(q)
		if tc.err != "" {
			assert.EqualError(t, err, tc.err, tc.query)
			continue
		}
		require.NoError(t, err, tc.query)
		assert.Equal(t, tc.want, got, tc.query)
	}
	for _, tc := range []struct{ query, want, err string }{
		{"", "", ""},
		{"status=firing", "firing", ""},
		{"status=resolved", "resolved", ""},
		{"status=pending", "", `status: "pending" is not firing or resolved`},
		{"status=firing&status=resolved", "", "status: give it once"},
	} {
		q, err := url.ParseQuery(tc.query)
		require.NoError(t, err)
		got, err := alertStatus(q)
		if tc.err != "" {
			assert.EqualError(t, err, tc.err, tc.query)
			continue
		}
		require.NoError(t, err, tc.query)
		assert.Equal(t, tc.want, got, tc.query)
	}
}
