package ingest

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/store"
)

func TestKeepLastStates(t *testing.T) {
	type rec struct {
		incident   string
		writeState bool
	}
	for _, tc := range []struct {
		name string
		in   []rec
		want []bool
	}{
		{"empty", nil, []bool{}},
		{"one per incident stays", []rec{{"a", true}, {"b", true}}, []bool{true, true}},
		{"only the last of an incident stays", []rec{{"a", true}, {"b", true}, {"a", true}, {"a", true}},
			[]bool{false, true, false, true}},
		{"a later record without state does not take it", []rec{{"a", true}, {"a", false}}, []bool{true, false}},
		{"records without state stay without", []rec{{"a", false}, {"b", false}}, []bool{false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			records := make([]store.Record, len(tc.in))
			for i, r := range tc.in {
				records[i] = store.Record{Event: incident.Event{IncidentID: r.incident, Seq: uint32(i + 1)}, WriteState: r.writeState}
			}
			keepLastStates(records)
			got := make([]bool, len(records))
			for i := range records {
				got[i] = records[i].WriteState
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestBatchLimit(t *testing.T) {
	for _, tc := range []struct {
		name                         string
		maxRecords, have, bytes, avg int
		want                         int
	}{
		{"small records: the count bounds", 5000, 0, 0, 1200, 5000},
		{"nothing read yet, records unknown (64 KiB assumed)", 5000, 0, 0, 64 << 10, 128},
		{"1 MiB records: 8 of them", 5000, 0, 0, 1 << 20, 8},
		{"half full", 5000, 4, 4 << 20, 1 << 20, 8},
		{"full", 5000, 8, 8 << 20, 1 << 20, 8},
		{"over full by one large record", 5000, 3, 10 << 20, 1 << 20, 3},
		{"a record larger than the bound is read alone", 5000, 0, 0, 16 << 20, 1},
		{"zero mean", 10, 0, 0, 0, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, batchLimit(tc.maxRecords, tc.have, tc.bytes, tc.avg))
		})
	}
}
