// Package webhooktest is the contract every webhook.Queue must meet, written
// once and run against each implementation (memqueue, redisqueue) from that
// implementation's tests. Time is passed to the queue's calls, so the suite
// needs no clock of its own.
package webhooktest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/webhook"
)

// Start is the instant the suite's times count from.
var Start = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)

// TestQueue runs the contract against queues made by newQueue, one per
// subtest, each empty.
func TestQueue(t *testing.T, newQueue func(t *testing.T) webhook.Queue) {
	ctx := context.Background()
	const lease = time.Minute

	t.Run("due time and lease", func(t *testing.T) {
		q := newQueue(t)
		due := Start.Add(10 * time.Minute)
		must(t, q.Add(ctx, "s1", due))
		if _, ok, err := q.Claim(ctx, due.Add(-time.Millisecond), lease); err != nil || ok {
			t.Fatalf("claim before due: got ok=%v err=%v; want nothing", ok, err)
		}
		j, ok, err := q.Claim(ctx, due, lease)
		if err != nil || !ok || j.SID != "s1" || j.Delivery != nil || j.Lease == "" {
			t.Fatalf("claim at due: got %+v ok=%v err=%v; want s1 without delivery, with a lease", j, ok, err)
		}
		if _, ok, _ := q.Claim(ctx, due.Add(lease-time.Millisecond), lease); ok {
			t.Fatal("a leased job was claimed again before its lease ran out")
		}
		j2, ok, err := q.Claim(ctx, due.Add(lease), lease)
		if err != nil || !ok || j2.SID != "s1" || j2.Lease == j.Lease {
			t.Fatalf("claim after the lease: got %+v ok=%v err=%v; want s1 with a new lease", j2, ok, err)
		}
		if err := q.Retry(ctx, j, due.Add(time.Hour)); !errors.Is(err, webhook.ErrLeaseLost) {
			t.Errorf("retry with a lost lease: got %v; want ErrLeaseLost", err)
		}
		if err := q.Done(ctx, j); !errors.Is(err, webhook.ErrLeaseLost) {
			t.Errorf("done with a lost lease: got %v; want ErrLeaseLost", err)
		}
		must(t, q.Done(ctx, j2))
		if n, err := q.Len(ctx); err != nil || n != 0 {
			t.Errorf("len after done: got %d, %v; want 0", n, err)
		}
		if err := q.Done(ctx, j2); !errors.Is(err, webhook.ErrLeaseLost) {
			t.Errorf("done twice: got %v; want ErrLeaseLost", err)
		}
	})

	t.Run("add keeps, wake brings forward", func(t *testing.T) {
		q := newQueue(t)
		must(t, q.Add(ctx, "s1", Start.Add(time.Hour)))
		must(t, q.Add(ctx, "s1", Start)) // already queued: keeps its time
		if _, ok, _ := q.Claim(ctx, Start, lease); ok {
			t.Fatal("a second Add moved the job's due time")
		}
		must(t, q.Wake(ctx, "s1", Start.Add(2*time.Hour))) // later: no change
		must(t, q.Wake(ctx, "s1", Start.Add(time.Minute)))
		if _, ok, _ := q.Claim(ctx, Start.Add(time.Minute-time.Millisecond), lease); ok {
			t.Fatal("claimed before the woken due time")
		}
		if j, ok, _ := q.Claim(ctx, Start.Add(time.Minute), lease); !ok || j.SID != "s1" {
			t.Fatalf("claim at the woken time: got %+v, %v; want s1", j, ok)
		}
		must(t, q.Wake(ctx, "s2", Start)) // absent: queued
		if n, _ := q.Len(ctx); n != 2 {
			t.Errorf("len: got %d; want 2", n)
		}
	})

	t.Run("soonest first, delivery kept", func(t *testing.T) {
		q := newQueue(t)
		must(t, q.Add(ctx, "late", Start.Add(2*time.Second)))
		must(t, q.Add(ctx, "early", Start.Add(time.Second)))
		j, ok, err := q.Claim(ctx, Start.Add(time.Hour), lease)
		if err != nil || !ok || j.SID != "early" {
			t.Fatalf("claim: got %+v, %v, %v; want early", j, ok, err)
		}
		d := &webhook.Delivery{ID: "d1", Event: webhook.EventCanceled, URL: "https://r.example/h", Owner: "key_0123456789abcdef",
			Body: []byte(`{"sid":"early"}`), First: Start.Add(time.Hour), Attempts: 1, LastError: "receiver answered 500"}
		j.Delivery = d
		next := Start.Add(time.Hour + time.Minute)
		must(t, q.Retry(ctx, j, next))
		if _, ok, _ := q.Claim(ctx, next.Add(-time.Millisecond), lease); !ok {
			t.Fatal("the other job was not claimable")
		}
		j, ok, err = q.Claim(ctx, next, lease)
		if err != nil || !ok || j.SID != "early" || j.Delivery == nil {
			t.Fatalf("claim after retry: got %+v, %v, %v; want early with its delivery", j, ok, err)
		}
		if got := *j.Delivery; got.ID != d.ID || got.Event != d.Event || got.URL != d.URL || got.Owner != d.Owner ||
			string(got.Body) != string(d.Body) || !got.First.Equal(d.First) || got.Attempts != 1 || got.LastError != d.LastError {
			t.Errorf("delivery: got %+v; want %+v", got, *d)
		}
	})

	t.Run("concurrent claims", func(t *testing.T) {
		q := newQueue(t)
		const jobs, workers = 60, 6
		for i := range jobs {
			must(t, q.Add(ctx, fmt.Sprintf("s%02d", i), Start))
		}
		var mu sync.Mutex
		got := map[string]int{}
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for {
					j, ok, err := q.Claim(ctx, Start, lease)
					if err != nil {
						t.Error(err)
						return
					}
					if !ok {
						return
					}
					mu.Lock()
					got[j.SID]++
					mu.Unlock()
					if err := q.Done(ctx, j); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if len(got) != jobs {
			t.Errorf("jobs claimed: got %d; want %d", len(got), jobs)
		}
		for sid, n := range got {
			if n != 1 {
				t.Errorf("%s claimed %d times; want once", sid, n)
			}
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
