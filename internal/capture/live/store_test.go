package live

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/liveness"
	"github.com/livegate/livegate/internal/session"
)

// blockingStore is a Store whose session calls hang until their context
// ends, as Redis does when it is unreachable.
type blockingStore struct {
	entered chan string // the method of each call that started blocking
}

var _ session.Store = (*blockingStore)(nil)

func newBlockingStore() *blockingStore { return &blockingStore{entered: make(chan string, 16)} }

func (b *blockingStore) block(ctx context.Context, method string) error {
	b.entered <- method
	<-ctx.Done()
	return ctx.Err()
}

func (b *blockingStore) Create(ctx context.Context, s *session.Session) error {
	return b.block(ctx, "Create")
}

func (b *blockingStore) Get(ctx context.Context, id string) (*session.Session, error) {
	return nil, b.block(ctx, "Get")
}

func (b *blockingStore) Update(ctx context.Context, id string, fn func(*session.Session) error) (*session.Session, error) {
	return nil, b.block(ctx, "Update")
}

func (b *blockingStore) AppendAudit(ctx context.Context, id string, e session.AuditEntry) error {
	return b.block(ctx, "AppendAudit")
}

func (b *blockingStore) Audit(ctx context.Context, id string) ([]session.AuditEntry, error) {
	return nil, b.block(ctx, "Audit")
}

func (b *blockingStore) Ping(ctx context.Context) error { return nil }
func (b *blockingStore) Close() error                   { return nil }

func newBlockedService(t *testing.T, timeout time.Duration) (*Service, *blockingStore) {
	t.Helper()
	api, err := capture.NewAPI(capture.NewConfig(capture.WithoutMDNS()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	store := newBlockingStore()
	s, err := New(Config{
		Store: store, API: api, StoreTimeout: timeout,
		Engines: EngineFactoryFunc(func() (Engine, error) { return nil, errors.New("no engine") }),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, store
}

func TestStoreTimeoutDefault(t *testing.T) {
	s, _ := newBlockedService(t, 0)
	if got := s.cfg.StoreTimeout; got != 5*time.Second {
		t.Errorf("StoreTimeout %v; want the 5 s default", got)
	}
}

// TestBlockedStoreCallEndsByItsDeadline: a control goroutine's store calls
// (a session read, a transition, an audit entry) give up after
// StoreTimeout instead of hanging the connection.
func TestBlockedStoreCallEndsByItsDeadline(t *testing.T) {
	s, _ := newBlockedService(t, 50*time.Millisecond)
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"get", func() error { _, err := s.get(s.ctx, "sid"); return err }},
		{"update", func() error {
			_, err := s.update(s.ctx, "sid", func(*session.Session) error { return nil })
			return err
		}},
		{"finish", func() error {
			_, err := s.finish(s.ctx, "sid", gesture.Result{}, liveness.Evidence{}, nil, time.Time{})
			return err
		}},
	} {
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- tc.call() }()
		select {
		case err := <-done:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s: err %v; want context.DeadlineExceeded", tc.name, err)
			}
			if d := time.Since(start); d < 50*time.Millisecond {
				t.Errorf("%s: ended after %v, before its deadline", tc.name, d)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: still blocked 5 s after its 50 ms deadline", tc.name)
		}
	}
}

// TestShutdownCancelsBlockedStoreCalls: a store call of the Service's own
// goroutines ends when a Shutdown runs out of time, however long its
// StoreTimeout.
func TestShutdownCancelsBlockedStoreCalls(t *testing.T) {
	s, store := newBlockedService(t, time.Hour)
	errc := make(chan error, 1)
	s.wg.Add(1) // as a connection's control goroutine is
	go func() {
		defer s.wg.Done()
		_, err := s.get(s.ctx, "sid")
		errc <- err
	}()
	if m := <-store.entered; m != "Get" {
		t.Fatalf("blocked in %s; want Get", m)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v; want its context's deadline", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("blocked Get ended with %v; want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the blocked Get outlived the Shutdown by 5 s")
	}
	// Everything is released now: a second Shutdown returns at once.
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}
