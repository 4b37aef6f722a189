package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/session/redisstore"
	"github.com/livegate/livegate/internal/session/sessiontest"
	"github.com/livegate/livegate/internal/webhook"
	"github.com/livegate/livegate/internal/webhook/memqueue"
	"github.com/livegate/livegate/internal/webhook/redisqueue"
)

const (
	secret = "whsec_test_0123456789abcdef0123456789"
	owner  = "key_0123456789abcdef"
)

// received is one request the receiver saw.
type received struct {
	delivery, event, sig string
	body                 []byte
	at                   time.Time
	verified             error
}

// receiver is a local webhook endpoint that verifies each request's
// signature and answers fail[i] (or 204) to the i-th request of a delivery.
type receiver struct {
	*httptest.Server
	clock *sessiontest.Clock
	fail  []int

	mu   sync.Mutex
	got  []received
	seen map[string]int
}

func newReceiver(t *testing.T, clock *sessiontest.Clock, fail ...int) *receiver {
	r := &receiver{clock: clock, fail: fail, seen: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		rec := received{
			delivery: req.Header.Get(webhook.HeaderDelivery),
			event:    req.Header.Get(webhook.HeaderEvent),
			sig:      req.Header.Get(webhook.HeaderSignature),
			body:     body,
			at:       clock.Now(),
		}
		rec.verified = webhook.Verify(rec.sig, body, secret, clock.Now(), 5*time.Minute)
		r.mu.Lock()
		r.got = append(r.got, rec)
		n := r.seen[rec.delivery]
		r.seen[rec.delivery]++
		r.mu.Unlock()
		if rec.verified != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if n < len(r.fail) {
			w.WriteHeader(r.fail[n])
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// backend is one store and queue pair.
type backend struct {
	name  string
	store func(t *testing.T, now func() time.Time) session.Store
	queue func(t *testing.T) webhook.Queue
}

func backends(t *testing.T) []backend {
	return []backend{
		{
			name:  "memory",
			store: func(t *testing.T, now func() time.Time) session.Store { return memstore.New(memstore.WithClock(now)) },
			queue: func(t *testing.T) webhook.Queue { return memqueue.New() },
		},
		{
			name: "redis",
			store: func(t *testing.T, now func() time.Time) session.Store {
				c := sessiontest.RedisClient(t)
				return redisstore.New(c, redisstore.WithPrefix(sessiontest.RedisPrefix(t, c)), redisstore.WithClock(now))
			},
			queue: func(t *testing.T) webhook.Queue {
				c := sessiontest.RedisClient(t)
				return redisqueue.New(c, sessiontest.RedisPrefix(t, c))
			},
		},
	}
}

// render stands in for the API's JSON of a session.
func render(s *session.Session, now time.Time) ([]byte, error) {
	return json.Marshal(map[string]any{"sid": s.ID, "status": s.StatusAt(now)})
}

type outcomes struct {
	mu  sync.Mutex
	got []string
}

func (o *outcomes) observe(x string) { o.mu.Lock(); o.got = append(o.got, x); o.mu.Unlock() }
func (o *outcomes) list() []string   { o.mu.Lock(); defer o.mu.Unlock(); return slices.Clone(o.got) }

const (
	backoff    = time.Second
	maxBackoff = 8 * time.Second
)

func newDispatcher(t *testing.T, q webhook.Queue, st session.Store, clock *sessiontest.Clock, g *webhook.Guard, o *outcomes) *webhook.Dispatcher {
	t.Helper()
	cfg := webhook.Config{
		Queue: q, Sessions: st, Render: render, Guard: g, Now: clock.Now,
		Secrets: &webhook.Secrets{Default: []string{secret}},
		Timeout: 5 * time.Second, Backoff: backoff, MaxBackoff: maxBackoff, Window: time.Hour,
	}
	if o != nil {
		cfg.Observe = o.observe
	}
	d, err := webhook.NewDispatcher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func loopbackGuard(t *testing.T) *webhook.Guard {
	g, err := webhook.ParseAllow("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func newSession(t *testing.T, st session.Store, clock *sessiontest.Clock, hook string) *session.Session {
	t.Helper()
	s, err := session.New(session.Params{Kind: session.KindActive, Owner: owner, SuccessURL: "https://shop.example/ok",
		WebhookURL: hook, ExpiresIn: 10 * time.Minute}, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func process(t *testing.T, d *webhook.Dispatcher) int {
	t.Helper()
	n, err := d.Process(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func auditEvents(t *testing.T, st session.Store, sid string) []string {
	t.Helper()
	es, err := st.Audit(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Event+":"+e.Outcome)
	}
	return out
}

// TestDeliveryRetries: the receiver fails the first two deliveries; the
// third attempt, after the backoff, succeeds, and every attempt carries the
// same body and delivery id with a valid signature.
func TestDeliveryRetries(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			clock := sessiontest.NewClock(sessiontest.Start)
			q := b.queue(t)
			st := webhook.Notify(b.store(t, clock.Now), q, clock.Now, nil)
			rcv := newReceiver(t, clock, 500, 503)
			var o outcomes
			d := newDispatcher(t, q, st, clock, loopbackGuard(t), &o)

			s := newSession(t, st, clock, rcv.URL+"/hook?x=1")
			if n := process(t, d); n != 0 {
				t.Fatalf("a pending session's job was due: %d handled", n)
			}
			clock.Advance(time.Minute)
			if _, err := st.Update(ctx, s.ID, func(s *session.Session) error { return s.Cancel(clock.Now()) }); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if n := process(t, d); n != 1 {
					t.Fatalf("jobs handled: got %d; want 1", n)
				}
				if n := process(t, d); n != 0 {
					t.Fatalf("a retry was due before its backoff: %d handled", n)
				}
				clock.Advance(maxBackoff)
			}
			got := rcv.requests()
			if len(got) != 3 {
				t.Fatalf("requests: got %d; want 3", len(got))
			}
			for i, r := range got {
				if r.verified != nil {
					t.Errorf("request %d: signature: %v", i, r.verified)
				}
				if r.event != webhook.EventCanceled || r.delivery != got[0].delivery || r.delivery == "" || string(r.body) != string(got[0].body) {
					t.Errorf("request %d: event %q delivery %q body %s; want %s, %q, %s", i, r.event, r.delivery, r.body, webhook.EventCanceled, got[0].delivery, got[0].body)
				}
			}
			var body map[string]string
			if err := json.Unmarshal(got[0].body, &body); err != nil || body["sid"] != s.ID || body["status"] != "CANCELED" {
				t.Errorf("body: got %s (%v); want the session, CANCELED", got[0].body, err)
			}
			if w := got[1].at.Sub(got[0].at); w < backoff/2 || w > maxBackoff {
				t.Errorf("first retry after %v; want within [%v, %v]", w, backoff/2, maxBackoff)
			}
			if n, _ := q.Len(ctx); n != 0 {
				t.Errorf("queue length after delivery: got %d; want 0", n)
			}
			if got, want := o.list(), []string{"retry", "retry", "delivered"}; !slices.Equal(got, want) {
				t.Errorf("outcomes: got %v; want %v", got, want)
			}
			if ev := auditEvents(t, st, s.ID); !slices.Contains(ev, "webhook_delivered:204") {
				t.Errorf("audit: got %v; want webhook_delivered:204", ev)
			}
		})
	}
}

// TestExpiredAndFinished: an expiry, which no request causes, is announced
// when the job comes due at the session's expiry; a finish at once.
func TestExpiredAndFinished(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			clock := sessiontest.NewClock(sessiontest.Start)
			q := b.queue(t)
			st := webhook.Notify(b.store(t, clock.Now), q, clock.Now, nil)
			rcv := newReceiver(t, clock)
			d := newDispatcher(t, q, st, clock, loopbackGuard(t), nil)

			exp := newSession(t, st, clock, rcv.URL)
			fin := newSession(t, st, clock, rcv.URL)
			newSession(t, st, clock, "") // no webhook: no job
			if n, _ := q.Len(ctx); n != 2 {
				t.Fatalf("queue length: got %d; want 2", n)
			}
			if _, err := st.Update(ctx, fin.ID, func(s *session.Session) error {
				return s.Finish(session.Result{Status: "success", GestureStatus: session.GestureMatch}, clock.Now())
			}); err != nil {
				t.Fatal(err)
			}
			process(t, d)
			clock.Advance(10 * time.Minute)
			process(t, d)
			got := rcv.requests()
			if len(got) != 2 {
				t.Fatalf("requests: got %d; want 2", len(got))
			}
			want := map[string]string{fin.ID: webhook.EventFinished, exp.ID: webhook.EventExpired}
			for _, r := range got {
				var body map[string]string
				_ = json.Unmarshal(r.body, &body)
				if want[body["sid"]] != r.event || r.verified != nil {
					t.Errorf("delivery for %s: event %q (signature %v); want %q", body["sid"], r.event, r.verified, want[body["sid"]])
				}
			}
			if n, _ := q.Len(ctx); n != 0 {
				t.Errorf("queue length: got %d; want 0", n)
			}
		})
	}
}

// TestGiveUp: a receiver that always fails is retried until the window
// has passed since the first attempt, then given up and audited.
func TestGiveUp(t *testing.T) {
	ctx := context.Background()
	clock := sessiontest.NewClock(sessiontest.Start)
	q := memqueue.New()
	st := webhook.Notify(memstore.New(memstore.WithClock(clock.Now)), q, clock.Now, nil)
	fails := make([]int, 10000)
	for i := range fails {
		fails[i] = 500
	}
	rcv := newReceiver(t, clock, fails...)
	var o outcomes
	d := newDispatcher(t, q, st, clock, loopbackGuard(t), &o)
	s := newSession(t, st, clock, rcv.URL)
	if _, err := st.Update(ctx, s.ID, func(s *session.Session) error { return s.Cancel(clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10000; i++ {
		process(t, d)
		if n, _ := q.Len(ctx); n == 0 {
			break
		}
		clock.Advance(time.Second)
	}
	got := rcv.requests()
	if len(got) < 8 {
		t.Fatalf("attempts: got %d; want retries for an hour", len(got))
	}
	if span := got[len(got)-1].at.Sub(got[0].at); span < time.Hour || span > time.Hour+maxBackoff {
		t.Errorf("retried for %v; want the window (1h) and at most one backoff more", span)
	}
	if out := o.list(); out[len(out)-1] != webhook.OutcomeFailed || slices.Contains(out, webhook.OutcomeDelivered) {
		t.Errorf("outcomes: got %v; want retries then failed", out)
	}
	if ev := auditEvents(t, st, s.ID); !slices.Contains(ev, "webhook_failed:failed") {
		t.Errorf("audit: got %v; want webhook_failed:failed", ev)
	}
}

// TestRedisRestart: a delivery pending in Redis survives its queue and
// dispatcher; a new instance (new client) delivers it, once. A worker that
// died holding a lease gives its job up when the lease runs out.
func TestRedisRestart(t *testing.T) {
	ctx := context.Background()
	clock := sessiontest.NewClock(sessiontest.Start)
	c := sessiontest.RedisClient(t)
	prefix := sessiontest.RedisPrefix(t, c)
	st := webhook.Notify(redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithClock(clock.Now)), redisqueue.New(c, prefix), clock.Now, nil)
	rcv := newReceiver(t, clock, 500)

	first := newDispatcher(t, redisqueue.New(c, prefix), st, clock, loopbackGuard(t), nil)
	s := newSession(t, st, clock, rcv.URL)
	if _, err := st.Update(ctx, s.ID, func(s *session.Session) error { return s.Cancel(clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	process(t, first) // fails; the retry is stored in Redis

	// "Restart": a new client, queue and dispatcher over the same Redis.
	c2 := sessiontest.RedisClient(t)
	st2 := redisstore.New(c2, redisstore.WithPrefix(prefix), redisstore.WithClock(clock.Now))
	q2 := redisqueue.New(c2, prefix)
	second := newDispatcher(t, q2, st2, clock, loopbackGuard(t), nil)
	clock.Advance(maxBackoff)
	if n := process(t, second); n != 1 {
		t.Fatalf("jobs handled after restart: got %d; want 1", n)
	}
	clock.Advance(time.Hour)
	process(t, second)
	got := rcv.requests()
	if len(got) != 2 || got[0].delivery != got[1].delivery || got[1].verified != nil {
		t.Fatalf("requests: got %d (%+v); want 2 attempts of one delivery", len(got), got)
	}

	// A worker claims and dies.
	s2 := newSession(t, st, clock, rcv.URL)
	if _, err := st.Update(ctx, s2.ID, func(s *session.Session) error { return s.Cancel(clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := redisqueue.New(c, prefix).Claim(ctx, clock.Now(), 2*time.Minute); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if n := process(t, second); n != 0 {
		t.Fatalf("a leased job was handled: %d", n)
	}
	clock.Advance(2 * time.Minute)
	if n := process(t, second); n != 1 {
		t.Fatalf("jobs handled after the lease: got %d; want 1", n)
	}
	clock.Advance(maxBackoff) // the receiver fails each delivery's first request
	process(t, second)
	if n, _ := q2.Len(ctx); n != 0 {
		t.Errorf("queue length: got %d; want 0", n)
	}
}

// TestTwoWorkers: two instances on one Redis deliver each attempt exactly
// once.
func TestTwoWorkers(t *testing.T) {
	ctx := context.Background()
	clock := sessiontest.NewClock(sessiontest.Start)
	c := sessiontest.RedisClient(t)
	prefix := sessiontest.RedisPrefix(t, c)
	st := webhook.Notify(redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithClock(clock.Now)), redisqueue.New(c, prefix), clock.Now, nil)
	rcv := newReceiver(t, clock, 500) // every delivery fails once: two attempts each
	var ds []*webhook.Dispatcher
	for range 2 {
		ci := sessiontest.RedisClient(t)
		sti := redisstore.New(ci, redisstore.WithPrefix(prefix), redisstore.WithClock(clock.Now))
		ds = append(ds, newDispatcher(t, redisqueue.New(ci, prefix), sti, clock, loopbackGuard(t), nil))
	}
	const sessions = 20
	for range sessions {
		s := newSession(t, st, clock, rcv.URL)
		if _, err := st.Update(ctx, s.ID, func(s *session.Session) error { return s.Cancel(clock.Now()) }); err != nil {
			t.Fatal(err)
		}
	}
	handled := make([]int, len(ds))
	for range 2 {
		var wg sync.WaitGroup
		for i, d := range ds {
			wg.Go(func() {
				n, err := d.Process(ctx)
				if err != nil {
					t.Error(err)
				}
				handled[i] += n
			})
		}
		wg.Wait()
		clock.Advance(maxBackoff)
	}
	got := rcv.requests()
	per := map[string]int{}
	for _, r := range got {
		per[r.delivery]++
	}
	if len(got) != 2*sessions || len(per) != sessions {
		t.Errorf("requests: got %d for %d deliveries; want %d for %d", len(got), len(per), 2*sessions, sessions)
	}
	for id, n := range per {
		if n != 2 {
			t.Errorf("delivery %s: %d requests; want 2 (one failed, one delivered)", id, n)
		}
	}
	t.Logf("jobs handled per worker: %v", handled)
	if n, _ := redisqueue.New(c, prefix).Len(ctx); n != 0 {
		t.Errorf("queue length: got %d; want 0", n)
	}
}

// fakeDNS resolves every name to the addresses it is given, and counts.
type fakeDNS struct {
	mu    sync.Mutex
	addrs []netip.Addr
}

func (f *fakeDNS) set(a ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addrs = nil
	for _, s := range a {
		f.addrs = append(f.addrs, netip.MustParseAddr(s))
	}
}

func (f *fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.addrs) == 0 {
		return nil, errors.New("no such host " + host)
	}
	return slices.Clone(f.addrs), nil
}

func TestCheckURL(t *testing.T) {
	dns := &fakeDNS{}
	g, _ := webhook.ParseAllow("")
	g.Resolver = dns
	allowed, err := webhook.ParseAllow("10.1.0.0/16, hooks.internal, 127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	allowed.Resolver = dns
	for _, c := range []struct {
		url     string
		resolve []string
		guard   *webhook.Guard
		ok      bool
	}{
		{"http://127.0.0.1:6379/", nil, g, false},
		{"http://169.254.169.254/latest/meta-data/", nil, g, false},
		{"http://[fd00:ec2::254]/", nil, g, false},
		{"http://[::1]:8080/", nil, g, false},
		{"http://[::ffff:127.0.0.1]/", nil, g, false},
		{"http://0.0.0.0/", nil, g, false},
		{"http://100.64.1.2/", nil, g, false},
		{"http://192.168.1.1/", nil, g, false},
		{"http://[fe80::1]/", nil, g, false},
		{"http://224.0.0.1/", nil, g, false},
		{"http://[64:ff9b::7f00:1]/", nil, g, false}, // NAT64 of 127.0.0.1
		{"https://hooks.example/h", []string{"93.184.216.34"}, g, true},
		{"https://hooks.example/h", []string{"93.184.216.34", "10.0.0.5"}, g, false},
		{"https://localhost.example/h", []string{"127.0.0.1"}, g, false},
		{"https://[2606:4700::1111]/h", nil, g, true},
		{"https://nowhere.example/h", nil, g, true}, // unresolvable now: checked at delivery
		{"http://127.0.0.1:6379/", nil, allowed, true},
		{"http://10.1.2.3/", nil, allowed, true},
		{"http://10.2.0.1/", nil, allowed, false},
		{"https://hooks.internal/h", []string{"192.168.0.9"}, allowed, true},
		{"https://other.internal/h", []string{"192.168.0.9"}, allowed, false},
	} {
		dns.set(c.resolve...)
		err := c.guard.CheckURL(context.Background(), c.url)
		var se *session.Error
		switch {
		case c.ok && err != nil:
			t.Errorf("%s (resolving to %v): got %v; want accepted", c.url, c.resolve, err)
		case !c.ok && (!errors.As(err, &se) || se.Code != session.EInvalid || !strings.Contains(se.Message, "webhook_url")):
			t.Errorf("%s (resolving to %v): got %v; want an invalid webhook_url error", c.url, c.resolve, err)
		}
	}
}

// TestDeliveryRefusedOnRebind: a name that resolved to a public address
// when the session was created resolves to loopback at delivery; the
// delivery is refused at dial time and given up, and the receiver on
// loopback sees nothing.
func TestDeliveryRefusedOnRebind(t *testing.T) {
	ctx := context.Background()
	clock := sessiontest.NewClock(sessiontest.Start)
	rcv := newReceiver(t, clock)
	u, _ := url.Parse(rcv.URL)
	hook := "http://rebind.example:" + u.Port() + "/hook"

	dns := &fakeDNS{}
	g, _ := webhook.ParseAllow("")
	g.Resolver = dns
	dns.set("93.184.216.34")
	if err := g.CheckURL(ctx, hook); err != nil {
		t.Fatalf("creation check: %v", err)
	}
	q := memqueue.New()
	st := webhook.Notify(memstore.New(memstore.WithClock(clock.Now)), q, clock.Now, nil)
	var o outcomes
	d := newDispatcher(t, q, st, clock, g, &o)
	s := newSession(t, st, clock, hook)
	if _, err := st.Update(ctx, s.ID, func(s *session.Session) error { return s.Cancel(clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	dns.set("127.0.0.1")
	process(t, d)
	if got := rcv.requests(); len(got) != 0 {
		t.Errorf("the loopback receiver got %d requests; want none", len(got))
	}
	if got := o.list(); !slices.Equal(got, []string{webhook.OutcomeRefused}) {
		t.Errorf("outcomes: got %v; want [refused]", got)
	}
	if ev := auditEvents(t, st, s.ID); !slices.Contains(ev, "webhook_failed:refused") {
		t.Errorf("audit: got %v; want webhook_failed:refused", ev)
	}
	if n, _ := q.Len(ctx); n != 0 {
		t.Errorf("queue length: got %d; want 0", n)
	}

	// The same name allowed by the operator is delivered.
	ga, _ := webhook.ParseAllow("rebind.example")
	ga.Resolver = dns
	d2 := newDispatcher(t, q, st, clock, ga, nil)
	s2 := newSession(t, st, clock, hook)
	if _, err := st.Update(ctx, s2.ID, func(s *session.Session) error { return s.Cancel(clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	process(t, d2)
	if got := rcv.requests(); len(got) != 1 || got[0].verified != nil {
		t.Errorf("allowed by name: got %d requests (%v); want 1 verified", len(got), got)
	}
}

// TestNoRedirects: a receiver's redirect is an answer (a failure), never
// followed, so a public endpoint cannot bounce a delivery inward.
func TestNoRedirects(t *testing.T) {
	ctx := context.Background()
	clock := sessiontest.NewClock(sessiontest.Start)
	inner := newReceiver(t, clock)
	var hits int
	var mu sync.Mutex
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		http.Redirect(w, r, inner.URL, http.StatusTemporaryRedirect)
	}))
	defer redir.Close()
	q := memqueue.New()
	st := webhook.Notify(memstore.New(memstore.WithClock(clock.Now)), q, clock.Now, nil)
	var o outcomes
	d := newDispatcher(t, q, st, clock, loopbackGuard(t), &o)
	s := newSession(t, st, clock, redir.URL)
	if _, err := st.Update(ctx, s.ID, func(s *session.Session) error { return s.Cancel(clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	process(t, d)
	if hits != 1 || len(inner.requests()) != 0 {
		t.Errorf("redirecting receiver hit %d times, its target %d; want 1 and 0", hits, len(inner.requests()))
	}
	if got := o.list(); !slices.Equal(got, []string{webhook.OutcomeRetry}) {
		t.Errorf("outcomes: got %v; want [retry]", got)
	}
}

func TestSignVerify(t *testing.T) {
	now := time.Unix(1767225600, 0)
	body := []byte(`{"sid":"x"}`)
	h := webhook.Sign([]string{"new-secret-0123456789abcdef0123456", secret}, now, body)
	if !strings.HasPrefix(h, fmt.Sprintf("t=%d,v1=", now.Unix())) || strings.Count(h, "v1=") != 2 {
		t.Fatalf("header: got %q; want t=…,v1=…,v1=…", h)
	}
	if err := webhook.Verify(h, body, secret, now, time.Minute); err != nil {
		t.Errorf("old secret during a rotation: %v", err)
	}
	for _, c := range []struct {
		name   string
		header string
		body   []byte
		secret string
		now    time.Time
		want   error
	}{
		{"tampered body", h, []byte(`{"sid":"y"}`), secret, now, webhook.ErrBadSignature},
		{"wrong secret", h, body, "other-secret-0123456789abcdef012345", now, webhook.ErrBadSignature},
		{"stale", h, body, secret, now.Add(10 * time.Minute), webhook.ErrStale},
		{"changed timestamp", strings.Replace(h, fmt.Sprint(now.Unix()), fmt.Sprint(now.Unix()+1), 1), body, secret, now, webhook.ErrBadSignature},
		{"empty", "", body, secret, now, webhook.ErrBadSignature},
	} {
		if err := webhook.Verify(c.header, c.body, c.secret, c.now, time.Minute); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v; want %v", c.name, err, c.want)
		}
	}
}

func TestParseSecrets(t *testing.T) {
	long := strings.Repeat("a", 32)
	s, err := webhook.ParseSecrets(long+", "+strings.Repeat("b", 32), "key_0123456789abcdef:"+strings.Repeat("c", 32)+",key_0123456789abcdef:"+strings.Repeat("d", 32))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.For("key_0123456789abcdef"); len(got) != 2 || got[0][0] != 'c' || got[1][0] != 'd' {
		t.Errorf("per-key secrets: got %v", got)
	}
	if got := s.For("key_ffffffffffffffff"); len(got) != 2 || got[0] != long {
		t.Errorf("default secrets: got %v", got)
	}
	if s, err := webhook.ParseSecrets("", ""); s != nil || err != nil {
		t.Errorf("none: got %v, %v; want nil, nil", s, err)
	}
	for _, c := range [][2]string{{"short", ""}, {"", "key_0123456789abcdef:short"}, {"", "mykey:" + long}, {"", long}} {
		if _, err := webhook.ParseSecrets(c[0], c[1]); err == nil {
			t.Errorf("ParseSecrets(%q, %q) accepted", c[0], c[1])
		}
	}
	if _, err := webhook.ParseAllow("http://x/"); err == nil {
		t.Error("ParseAllow accepted a URL")
	}
}
