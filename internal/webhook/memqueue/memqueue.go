// Package memqueue keeps webhook jobs in the memory of one process, for the
// in-memory session store: nothing to set up, and, like the sessions
// themselves, lost on restart.
package memqueue

import (
	"context"
	"sync"
	"time"

	"github.com/livegate/livegate/internal/webhook"
)

// Queue is an in-memory webhook.Queue, safe for concurrent use. Claim scans
// every job: the queue holds one job per session with a webhook that has
// not expired or been delivered, which a single process keeps small.
type Queue struct {
	mu   sync.Mutex
	jobs map[string]*job
}

type job struct {
	due      time.Time
	lease    string
	delivery *webhook.Delivery
}

var _ webhook.Queue = (*Queue)(nil)

// New returns an empty Queue.
func New() *Queue { return &Queue{jobs: map[string]*job{}} }

// Add queues sid due at due unless it is queued.
func (q *Queue) Add(_ context.Context, sid string, due time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.jobs[sid]; !ok {
		q.jobs[sid] = &job{due: due}
	}
	return nil
}

// Wake makes sid due at due at the latest.
func (q *Queue) Wake(_ context.Context, sid string, due time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	j, ok := q.jobs[sid]
	switch {
	case !ok:
		q.jobs[sid] = &job{due: due}
	case due.Before(j.due):
		j.due = due
	}
	return nil
}

// Claim leases the job due soonest at or before now.
func (q *Queue) Claim(_ context.Context, now time.Time, lease time.Duration) (webhook.Job, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var (
		sid  string
		best *job
	)
	for id, j := range q.jobs {
		if !j.due.After(now) && (best == nil || j.due.Before(best.due)) {
			sid, best = id, j
		}
	}
	if best == nil {
		return webhook.Job{}, false, nil
	}
	best.due = now.Add(lease)
	best.lease = webhook.NewToken()
	out := webhook.Job{SID: sid, Lease: best.lease}
	if best.delivery != nil {
		d := *best.delivery
		out.Delivery = &d
	}
	return out, true, nil
}

// leased returns j's entry if j still holds its lease. The caller holds
// q.mu.
func (q *Queue) leased(j webhook.Job) (*job, error) {
	e, ok := q.jobs[j.SID]
	if !ok || e.lease == "" || e.lease != j.Lease {
		return nil, webhook.ErrLeaseLost
	}
	return e, nil
}

// Retry stores j's delivery due at due.
func (q *Queue) Retry(_ context.Context, j webhook.Job, due time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	e, err := q.leased(j)
	if err != nil {
		return err
	}
	e.due, e.lease = due, ""
	if j.Delivery != nil {
		d := *j.Delivery
		e.delivery = &d
	}
	return nil
}

// Done removes j.
func (q *Queue) Done(_ context.Context, j webhook.Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, err := q.leased(j); err != nil {
		return err
	}
	delete(q.jobs, j.SID)
	return nil
}

// Len is the number of jobs.
func (q *Queue) Len(context.Context) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.jobs), nil
}
