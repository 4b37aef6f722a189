package live

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/liveness"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
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

// downStore fails every Update as a store outage does while down is set;
// everything else passes through.
type downStore struct {
	session.Store
	down    atomic.Bool
	refused atomic.Int32
}

func (d *downStore) Update(ctx context.Context, id string, fn func(*session.Session) error) (*session.Session, error) {
	if d.down.Load() {
		d.refused.Add(1)
		return nil, &session.Error{Code: session.EUnavailable, Message: "session store unavailable"}
	}
	return d.Store.Update(ctx, id, fn)
}

func newSavingService(t *testing.T) (*Service, *downStore, string) {
	t.Helper()
	api, err := capture.NewAPI(capture.NewConfig(capture.WithoutMDNS()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	st := &downStore{Store: memstore.New()}
	t.Cleanup(func() { st.Close() })
	sess, err := session.New(session.Params{Kind: session.KindActive, SuccessURL: "https://shop.example/done", Gestures: []string{"HEAD_LEFT"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(context.Background(), sess); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Store: st, API: api, StoreTimeout: time.Second,
		Engines: EngineFactoryFunc(func() (Engine, error) { return nil, errors.New("no engine") })})
	if err != nil {
		t.Fatal(err)
	}
	return s, st, sess.ID
}

// TestShutdownWaitsForAPendingResult: a result the store refused is still
// being written when the server shuts down; the Shutdown waits for it, so
// the store that comes back within the shutdown's time gets it.
func TestShutdownWaitsForAPendingResult(t *testing.T) {
	s, st, sid := newSavingService(t)
	st.down.Store(true)
	_, err := s.finish(s.ctx, sid, gesture.Result{Status: session.GestureNotMatch}, liveness.Evidence{}, nil, time.Now().Add(time.Hour))
	var sv *savingError
	if !errors.As(err, &sv) {
		t.Fatalf("finish with the store down: %v; want a savingError", err)
	}
	waitRefused := time.Now().Add(5 * time.Second)
	for st.refused.Load() < 2 && time.Now().Before(waitRefused) {
		time.Sleep(10 * time.Millisecond) // polling the retries, not waiting blindly
	}
	if st.refused.Load() < 2 {
		t.Fatal("the result's write was not retried")
	}
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) while a result was still pending", err)
	case <-time.After(300 * time.Millisecond):
	}
	st.down.Store(false)
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	got, err := st.Get(context.Background(), sid)
	if err != nil || got.Status != session.StatusFinished || got.Result == nil {
		t.Fatalf("after the shutdown: %v %+v; want the result stored", err, got)
	}
	if d := <-sv.done; d.err != nil || d.sess == nil {
		t.Errorf("saved outcome %+v; want the stored session", d)
	}
}

// TestPendingResultsAreCapped: past MaxPendingResults no write is kept
// going: finish returns the store's error itself.
func TestPendingResultsAreCapped(t *testing.T) {
	s, st, sid := newSavingService(t)
	st.down.Store(true)
	s.mu.Lock()
	s.saving = MaxPendingResults
	s.mu.Unlock()
	_, err := s.finish(s.ctx, sid, gesture.Result{Status: session.GestureNotMatch}, liveness.Evidence{}, nil, time.Now().Add(time.Hour))
	var sv *savingError
	if errors.As(err, &sv) || session.ErrorCode(err) != session.EUnavailable {
		t.Errorf("finish past the cap: %v; want the store's error, no retry", err)
	}
	s.mu.Lock()
	s.saving = 0
	s.mu.Unlock()
}
