package admission

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestBudgetAcquire(t *testing.T) {
	tests := []struct {
		name    string
		held    []int64 // acquired first, never released
		ask     int64
		wantErr error
		inUse   int64
	}{
		{"fits", []int64{40}, 60, nil, 100},
		{"nothing", []int64{100}, 0, nil, 100},
		{"one byte over", []int64{40, 20}, 41, ErrBusy, 60},
		{"larger than the budget", nil, 101, ErrBusy, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(100, 10*time.Millisecond)
			for _, n := range tt.held {
				if err := b.Acquire(context.Background(), n); err != nil {
					t.Fatalf("Acquire(%d): %v", n, err)
				}
			}
			if err := b.Acquire(context.Background(), tt.ask); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Acquire(%d) = %v, want %v", tt.ask, err, tt.wantErr)
			}
			st := b.Stats()
			if st.InUse != tt.inUse || st.Peak != tt.inUse {
				t.Errorf("stats %+v, want %d in use and at peak", st, tt.inUse)
			}
			if refused := tt.wantErr != nil; (st.Refused == 1) != refused {
				t.Errorf("refused %d times, want a refusal: %v", st.Refused, refused)
			}
		})
	}
}

// A reservation that does not fit waits for a release instead of failing at once.
func TestBudgetWaitsForRelease(t *testing.T) {
	b := New(100, time.Minute)
	if err := b.Acquire(context.Background(), 80); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() { got <- b.Acquire(context.Background(), 50) }()
	select {
	case err := <-got:
		t.Fatalf("Acquire returned %v before anything was released", err)
	case <-time.After(20 * time.Millisecond):
	}
	b.Release(80)
	if err := <-got; err != nil {
		t.Fatalf("Acquire after the release: %v", err)
	}
	if st := b.Stats(); st.InUse != 50 || st.Peak != 80 {
		t.Errorf("stats %+v, want 50 in use, peak 80", st)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Acquire(ctx, 60); !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire with a cancelled context = %v", err)
	}
}

// A body of unknown length is admitted step by step as it is read: never more bytes read than held, and the read
// fails with ErrBusy once the budget is spent.
func TestTicketReader(t *testing.T) {
	tests := []struct {
		name     string
		length   int64 // announced; -1 unknown
		body     int
		other    int64 // held by another request
		wantErr  error
		wantHeld int64
	}{
		{"announced length", 250, 250, 0, nil, 250},
		{"unknown length within the budget", -1, 250, 0, nil, 300}, // the read of EOF takes one more step
		{"unknown length beyond the budget", -1, 1000, 0, ErrBusy, 1000},
		{"unknown length, another holding most", -1, 250, 800, ErrBusy, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(1000, 0)
			if err := b.Acquire(context.Background(), tt.other); err != nil {
				t.Fatal(err)
			}
			tk, err := b.Admit(context.Background(), tt.length, 100)
			if err != nil {
				t.Fatal(err)
			}
			r := tk.Reader(strings.NewReader(strings.Repeat("x", tt.body)), 100)
			var got bytes.Buffer
			buf := make([]byte, 4096)
			for {
				n, rerr := r.Read(buf)
				got.Write(buf[:n])
				if int64(got.Len()) > tk.Held() {
					t.Fatalf("read %d bytes with %d held", got.Len(), tk.Held())
				}
				if rerr != nil {
					if rerr != io.EOF {
						err = rerr
					}
					break
				}
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("read error %v, want %v", err, tt.wantErr)
			}
			if tk.Held() != tt.wantHeld {
				t.Errorf("held %d, want %d", tk.Held(), tt.wantHeld)
			}
			tk.Done()
			tk.Done()
			if st := b.Stats(); st.InUse != tt.other || st.Peak > b.Limit() {
				t.Errorf("after Done: %+v, want %d in use and a peak within %d", st, tt.other, b.Limit())
			}
		})
	}
}
