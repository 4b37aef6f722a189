package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/session/sessiontest"
)

const (
	keyA     = "key-a-0123456789abcdef"
	keyB     = "key-b-0123456789abcdef"
	keyBasic = "key-c-0123456789abcdef"
	public   = "https://live.example.com"
	// keyBRetention is key B's biometric retention; the others keep none.
	keyBRetention = 48 * time.Hour
)

type fixture struct {
	t     *testing.T
	clock *sessiontest.Clock
	store *memstore.Store
	h     http.Handler
}

func newFixture(t *testing.T, limit *session.RateLimit, mod ...func(*api.Config)) *fixture {
	t.Helper()
	c := sessiontest.NewClock(sessiontest.Start)
	st := memstore.New(memstore.WithClock(c.Now))
	t.Cleanup(func() { _ = st.Close() })
	cfg := api.Config{
		Store:     st,
		Keys:      []api.Key{{Secret: keyA}, {Secret: keyB, BiometricRetention: keyBRetention}, {Secret: keyBasic, Username: "user", Password: "pass"}},
		PublicURL: public,
		Now:       c.Now,
		Webhooks:  testWebhooks(),
	}
	if limit != nil {
		cfg.Limiter = memstore.NewRateLimiter(*limit, memstore.WithClock(c.Now))
	}
	for _, m := range mod {
		m(&cfg)
	}
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	return &fixture{t: t, clock: c, store: st, h: checked(t, httpx.Middleware(h, log, httpx.NewMetrics(prometheus.NewRegistry()), api.WritePanic))}
}

type reply struct {
	code int
	hdr  http.Header
	body string
	obj  map[string]any
}

func (f *fixture) do(method, path, key, body string, mod ...func(*http.Request)) reply {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	// GLAIR's client always sends Basic credentials, defaults included.
	req.SetBasicAuth("default-username", "default-password")
	for _, m := range mod {
		m(req)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	r := reply{code: rec.Code, hdr: rec.Header(), body: rec.Body.String()}
	if err := json.Unmarshal(rec.Body.Bytes(), &r.obj); err != nil {
		f.t.Fatalf("%s %s: response is not a JSON object: %v\n%s", method, path, err, r.body)
	}
	return r
}

const sessions = "/face/v1/active-liveness-sessions"

func (f *fixture) create(key, body string) reply {
	f.t.Helper()
	r := f.do("POST", sessions, key, body)
	if r.code != 200 {
		f.t.Fatalf("create: got %d %s; want 200", r.code, r.body)
	}
	return r
}

func TestCreateReturnsGLAIRFieldsPlusSIDAndExpiry(t *testing.T) {
	f := newFixture(t, nil)
	r := f.create(keyA, `{"success_url":"https://shop.example/ok?x=1","cancel_url":"https://shop.example/back"}`)
	want := map[string]any{
		"status":             "PENDING",
		"success_url":        "https://shop.example/ok?x=1",
		"cancel_url":         "https://shop.example/back",
		"number_of_gestures": float64(1),
	}
	for k, v := range want {
		if r.obj[k] != v {
			t.Errorf("%s: got %v; want %v", k, r.obj[k], v)
		}
	}
	sid, _ := r.obj["sid"].(string)
	if !session.ValidID(sid) {
		t.Fatalf("sid %q is not a valid session id", sid)
	}
	if got, want := r.obj["url"], public+"/s/"+sid; got != want {
		t.Errorf("url: got %v; want %v", got, want)
	}
	if got, want := r.obj["expired"], float64(f.clock.Now().Add(24*time.Hour).UnixMilli()); got != want {
		t.Errorf("expired: got %v; want %v", got, want)
	}
	if _, ok := r.obj["result"]; ok {
		t.Errorf("create response has a result field; GLAIR's has none")
	}
	if gs, _ := r.obj["gestures"].([]any); len(gs) != 1 {
		t.Errorf("gestures: got %v; want one random gesture", r.obj["gestures"])
	}
	if r.hdr.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("Content-Type: got %q", r.hdr.Get("Content-Type"))
	}
}

func TestCreateStoresEveryExtension(t *testing.T) {
	f := newFixture(t, nil)
	r := f.create(keyA, `{"success_url":"https://a.example/","gestures":["HEAD_LEFT","HEAD_00"],"number_of_gestures":2,
		"expires_in_seconds":600,"max_attempts":5,"device_correlation_id":"dev-1","locale":"id","webhook_url":"https://hooks.example/x"}`)
	s, err := f.store.Get(context.Background(), r.obj["sid"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Gestures; len(got) != 2 || got[0] != session.HeadLeft || got[1] != session.HeadEyesClosed {
		t.Errorf("gestures: got %v; want [HEAD_LEFT HEAD_00]", got)
	}
	if got, want := s.ExpiresAt, f.clock.Now().Add(600*time.Second); !got.Equal(want) {
		t.Errorf("expires: got %v; want %v", got, want)
	}
	if s.MaxAttempts != 5 || s.DeviceCorrelationID != "dev-1" || s.Locale != "id" || s.WebhookURL != "https://hooks.example/x" {
		t.Errorf("extensions not stored: %+v", s)
	}
	if s.Owner != (api.Key{Secret: keyA}).ID() {
		t.Errorf("owner: got %q; want key A's id", s.Owner)
	}
}

// TestCreateTakesTheKeysBiometricRetention: a session keeps its biometric
// values as long as the key that created it says, each key its own.
func TestCreateTakesTheKeysBiometricRetention(t *testing.T) {
	f := newFixture(t, nil)
	for _, tc := range []struct {
		key  string
		want time.Duration
	}{{keyA, 0}, {keyB, keyBRetention}} {
		r := f.create(tc.key, `{"success_url":"https://a.example/"}`)
		s, err := f.store.Get(context.Background(), r.obj["sid"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if s.BiometricRetention != tc.want {
			t.Errorf("key %s: session's biometric retention %s; want %s", tc.key[:5], s.BiometricRetention, tc.want)
		}
	}
}

func TestGetFreshSessionHasNullResult(t *testing.T) {
	f := newFixture(t, nil)
	sid := f.create(keyA, `{"success_url":"https://a.example/"}`).obj["sid"].(string)
	r := f.do("GET", sessions+"/"+sid, keyA, "")
	if r.code != 200 {
		t.Fatalf("got %d %s", r.code, r.body)
	}
	if !strings.Contains(r.body, `"result":null`) {
		t.Errorf("body lacks \"result\":null: %s", r.body)
	}
	if r.obj["status"] != "PENDING" || r.obj["cancel_url"] != nil {
		t.Errorf("got status %v cancel_url %v; want PENDING and null", r.obj["status"], r.obj["cancel_url"])
	}
}

func TestFinishedResultShape(t *testing.T) {
	f := newFixture(t, nil)
	sid := f.create(keyA, `{"success_url":"https://a.example/","gestures":["HEAD_LEFT"]}`).obj["sid"].(string)
	score := 87.5
	now := f.clock.Now()
	reaction, rtt := int64(620), int64(35)
	_, err := f.store.Update(context.Background(), sid, func(s *session.Session) error {
		if _, err := s.StartAttempt(now); err != nil {
			return err
		}
		return s.Finish(session.Result{Status: "success", GestureStatus: session.GestureMatch,
			DetectedGesture: session.HeadLeft, LivenessScore: &score,
			Gestures: []session.GestureOutcome{{Gesture: session.HeadLeft, Status: session.GestureMatch, At: now,
				InstructedAt: now.Add(-1500 * time.Millisecond), OnsetAt: now.Add(-845 * time.Millisecond),
				HeldAt: now.Add(-400 * time.Millisecond), MatchedAt: now, ReactionMS: &reaction, RTTMS: &rtt}}}, now)
	})
	if err != nil {
		t.Fatal(err)
	}
	r := f.do("GET", sessions+"/"+sid, keyA, "")
	res, _ := r.obj["result"].(map[string]any)
	inner, _ := res["result"].(map[string]any)
	if r.obj["status"] != "FINISHED" || res["status"] != "success" || inner["gesture_status"] != "MATCH" || inner["detected_gesture"] != "HEAD_LEFT" {
		t.Fatalf("got %s; want FINISHED with GLAIR's success/MATCH/HEAD_LEFT", r.body)
	}
	if res["liveness_score"] != 87.5 || res["attempts"] != float64(1) || res["attack_type"] != nil {
		t.Errorf("livegate fields: got %v", res)
	}
	// Each gesture's timing evidence, on the server's clock.
	gs, _ := res["gestures"].([]any)
	g, _ := func() (map[string]any, bool) {
		if len(gs) != 1 {
			return nil, false
		}
		m, ok := gs[0].(map[string]any)
		return m, ok
	}()
	if g["reaction_ms"] != float64(620) || g["rtt_ms"] != float64(35) || g["instructed_at"] != now.Add(-1500*time.Millisecond).Format(time.RFC3339Nano) ||
		g["onset_at"] == nil || g["held_at"] == nil || g["matched_at"] == nil || g["failure"] != nil {
		t.Errorf("gesture evidence: got %v; want the timings and no failure", g)
	}
}

func TestAuth(t *testing.T) {
	f := newFixture(t, nil)
	body := `{"success_url":"https://a.example/"}`
	basic := func(u, p string) func(*http.Request) { return func(r *http.Request) { r.SetBasicAuth(u, p) } }
	noBasic := func(r *http.Request) { r.Header.Del("Authorization") }
	tests := []struct {
		name string
		key  string
		mod  []func(*http.Request)
		want int
	}{
		{"no key", "", nil, 401},
		{"wrong key", "key-x-0123456789abcdef", nil, 401},
		{"prefix of a key", keyA[:10], nil, 401},
		{"key without basic ignores client's default basic", keyA, nil, 200},
		{"key without basic and no basic header", keyA, []func(*http.Request){noBasic}, 200},
		{"basic key without basic", keyBasic, []func(*http.Request){noBasic}, 401},
		{"basic key with wrong password", keyBasic, []func(*http.Request){basic("user", "nope")}, 401},
		{"basic key with wrong user", keyBasic, []func(*http.Request){basic("usr", "pass")}, 401},
		{"basic key with right basic", keyBasic, []func(*http.Request){basic("user", "pass")}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do("POST", sessions, tt.key, body, tt.mod...)
			if r.code != tt.want {
				t.Fatalf("got %d %s; want %d", r.code, r.body, tt.want)
			}
			if tt.want == 401 && (r.obj["status"] != "failed" || r.obj["error_message"] == "") {
				t.Errorf("401 body not in the error format: %s", r.body)
			}
		})
	}
}

func TestSessionVisibleOnlyToItsKeyAndKind(t *testing.T) {
	f := newFixture(t, nil)
	sid := f.create(keyA, `{"success_url":"https://a.example/"}`).obj["sid"].(string)
	for _, tt := range []struct{ method, path, key string }{
		{"GET", sessions + "/" + sid, keyB},
		{"DELETE", sessions + "/" + sid, keyB},
		{"GET", sessions + "/" + sid + "/audit", keyB},
		{"GET", "/face/v1/passive-liveness-sessions/" + sid, keyA},
		{"GET", sessions + "/" + session.NewID(), keyA},
		{"GET", sessions + "/not-an-id", keyA},
		{"GET", sessions + "/" + sid + "x", keyA},
	} {
		r := f.do(tt.method, tt.path, tt.key, "")
		if r.code != 404 || r.obj["status"] != "failed" {
			t.Errorf("%s %s as %s: got %d %s; want 404 in error format", tt.method, tt.path, tt.key[:5], r.code, r.body)
		}
	}
	if s, _ := f.store.Get(context.Background(), sid); s.Status != session.StatusPending {
		t.Errorf("another key's DELETE changed the session to %s", s.Status)
	}
}

func TestBadInputIsRefusedAndStoresNothing(t *testing.T) {
	long := "https://a.example/" + strings.Repeat("x", 2048)
	tests := []struct {
		name, body, ct string
		code           int
		msg            string
	}{
		{"empty body", "", "application/json", 400, "JSON object"},
		{"not json", "success_url=x", "application/json", 400, "not valid JSON"},
		{"form content type", `{"success_url":"https://a.example/"}`, "application/x-www-form-urlencoded", 400, "Content-Type"},
		{"array", `[]`, "application/json", 400, "JSON object"},
		{"two objects", `{"success_url":"https://a.example/"}{}`, "application/json", 400, "exactly one"},
		{"unknown field", `{"success_url":"https://a.example/","color":"red"}`, "application/json", 400, `unknown field "color"`},
		{"missing success_url", `{}`, "application/json", 400, "success_url is required"},
		{"success_url wrong type", `{"success_url":5}`, "application/json", 400, "success_url must be a string"},
		{"number_of_gestures as string", `{"success_url":"https://a.example/","number_of_gestures":"2"}`, "application/json", 400, "number_of_gestures must be an integer"},
		{"number_of_gestures fraction", `{"success_url":"https://a.example/","number_of_gestures":1.5}`, "application/json", 400, "number_of_gestures must be an integer"},
		{"number_of_gestures 0", `{"success_url":"https://a.example/","number_of_gestures":0}`, "application/json", 400, "between 1 and 5"},
		{"number_of_gestures 6", `{"success_url":"https://a.example/","number_of_gestures":6}`, "application/json", 400, "between 1 and 5"},
		{"javascript url", `{"success_url":"javascript:alert(1)"}`, "application/json", 400, "absolute http or https"},
		{"relative url", `{"success_url":"/done"}`, "application/json", 400, "absolute http or https"},
		{"scheme-relative url", `{"success_url":"//evil.example/"}`, "application/json", 400, "absolute http or https"},
		{"ftp url", `{"success_url":"ftp://a.example/"}`, "application/json", 400, "absolute http or https"},
		{"userinfo url", `{"success_url":"https://user@a.example/"}`, "application/json", 400, "absolute http or https"},
		{"too long url", `{"success_url":"` + long + `"}`, "application/json", 400, "at most 2048"},
		{"bad cancel_url", `{"success_url":"https://a.example/","cancel_url":"data:text/html,x"}`, "application/json", 400, "cancel_url"},
		{"bad webhook_url", `{"success_url":"https://a.example/","webhook_url":"localhost"}`, "application/json", 400, "webhook_url"},
		{"webhook_url to Redis", `{"success_url":"https://a.example/","webhook_url":"http://127.0.0.1:6379/"}`, "application/json", 400, "webhook_url must not point to a loopback"},
		{"webhook_url to metadata", `{"success_url":"https://a.example/","webhook_url":"http://169.254.169.254/latest/meta-data/"}`, "application/json", 400, "webhook_url must not point to a loopback"},
		{"webhook_url resolving inward", `{"success_url":"https://a.example/","webhook_url":"https://internal.example/h"}`, "application/json", 400, "webhook_url must not point to a loopback"},
		{"unknown gesture", `{"success_url":"https://a.example/","gestures":["HEAD_SPIN"]}`, "application/json", 400, "HEAD_SPIN"},
		{"empty gestures", `{"success_url":"https://a.example/","gestures":[]}`, "application/json", 400, "at least one"},
		{"gesture count mismatch", `{"success_url":"https://a.example/","gestures":["HEAD_UP"],"number_of_gestures":2}`, "application/json", 400, "does not match"},
		{"expiry too short", `{"success_url":"https://a.example/","expires_in_seconds":59}`, "application/json", 400, "expires_in_seconds"},
		{"expiry too long", `{"success_url":"https://a.example/","expires_in_seconds":86401}`, "application/json", 400, "expires_in_seconds"},
		{"expiry overflow", `{"success_url":"https://a.example/","expires_in_seconds":9223372036854775807}`, "application/json", 400, "expires_in_seconds"},
		{"max_attempts 0", `{"success_url":"https://a.example/","max_attempts":0}`, "application/json", 400, "max_attempts"},
		{"max_attempts 11", `{"success_url":"https://a.example/","max_attempts":11}`, "application/json", 400, "max_attempts"},
		{"bad locale", `{"success_url":"https://a.example/","locale":"fr"}`, "application/json", 400, "locale"},
		{"huge device id", `{"success_url":"https://a.example/","device_correlation_id":"` + strings.Repeat("d", 129) + `"}`, "application/json", 400, "device_correlation_id"},
		{"body over 64 KiB", `{"success_url":"https://a.example/","cancel_url":"` + strings.Repeat("a", 70<<10) + `"}`, "application/json", 413, "at most 65536 bytes"},
	}
	f := newFixture(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do("POST", sessions, keyA, tt.body, func(r *http.Request) { r.Header.Set("Content-Type", tt.ct) })
			if r.code != tt.code {
				t.Fatalf("got %d %s; want %d", r.code, r.body, tt.code)
			}
			if r.obj["status"] != "failed" || !strings.Contains(r.obj["error_message"].(string), tt.msg) {
				t.Errorf("got body %s; want status failed and a message containing %q", r.body, tt.msg)
			}
			if r.hdr.Get("Request-Id") == "" {
				t.Errorf("no Request-Id header")
			}
		})
	}
	if n := f.store.Len(); n != 0 {
		t.Errorf("store holds %d sessions after only bad requests; want 0", n)
	}
}

func TestRevoke(t *testing.T) {
	f := newFixture(t, nil)
	sid := f.create(keyA, `{"success_url":"https://a.example/"}`).obj["sid"].(string)
	for i := 0; i < 2; i++ { // idempotent
		r := f.do("DELETE", sessions+"/"+sid, keyA, "")
		if r.code != 200 || r.obj["status"] != "CANCELED" {
			t.Fatalf("DELETE #%d: got %d %s; want 200 CANCELED", i+1, r.code, r.body)
		}
	}
	if r := f.do("GET", sessions+"/"+sid, keyA, ""); r.obj["status"] != "CANCELED" || !strings.Contains(r.body, `"result":null`) {
		t.Errorf("GET after DELETE: %s", r.body)
	}

	sid2 := f.create(keyA, `{"success_url":"https://a.example/"}`).obj["sid"].(string)
	_, err := f.store.Update(context.Background(), sid2, func(s *session.Session) error {
		return s.Finish(session.Result{Status: "failed", GestureStatus: session.GestureNotMatch}, f.clock.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := f.do("DELETE", sessions+"/"+sid2, keyA, ""); r.code != 409 {
		t.Errorf("DELETE of a finished session: got %d %s; want 409", r.code, r.body)
	}
	if s, _ := f.store.Get(context.Background(), sid2); s.Status != session.StatusFinished || s.Result == nil {
		t.Errorf("DELETE changed a finished session: %+v", s)
	}
}

func TestExpiryHonouredOnRead(t *testing.T) {
	f := newFixture(t, nil)
	r := f.create(keyA, `{"success_url":"https://a.example/","expires_in_seconds":60}`)
	sid := r.obj["sid"].(string)
	f.clock.Advance(59 * time.Second)
	if r := f.do("GET", sessions+"/"+sid, keyA, ""); r.obj["status"] != "PENDING" {
		t.Fatalf("at 59 s: got %v; want PENDING", r.obj["status"])
	}
	f.clock.Advance(time.Second)
	if r := f.do("GET", sessions+"/"+sid, keyA, ""); r.obj["status"] != "EXPIRED" {
		t.Fatalf("at 60 s: got %v; want EXPIRED", r.obj["status"])
	}
	if r := f.do("DELETE", sessions+"/"+sid, keyA, ""); r.code != 200 || r.obj["status"] != "EXPIRED" {
		t.Errorf("DELETE of an expired session: got %d %s; want 200 EXPIRED", r.code, r.body)
	}
}

func TestAudit(t *testing.T) {
	f := newFixture(t, nil)
	sid := f.create(keyA, `{"success_url":"https://a.example/"}`).obj["sid"].(string)
	f.do("DELETE", sessions+"/"+sid, keyA, "", func(r *http.Request) { r.Header.Set("User-Agent", "integrator/1.0") })
	r := f.do("GET", sessions+"/"+sid+"/audit", keyA, "")
	entries, _ := r.obj["entries"].([]any)
	if r.code != 200 || r.obj["sid"] != sid || len(entries) != 2 {
		t.Fatalf("got %d %s; want 2 entries", r.code, r.body)
	}
	last := entries[1].(map[string]any)
	if last["event"] != "revoked" || last["user_agent"] != "integrator/1.0" || last["client_ip"] != "192.0.2.1" {
		t.Errorf("revoked entry: got %v", last)
	}
	// The answer carries the chain: its head is the last entry's hash, and
	// the entries as sent verify.
	if r.obj["head"] != last["hash"] || last["prev"] != entries[0].(map[string]any)["hash"] {
		t.Errorf("head %v, last entry's prev %v and hash %v; want the head to be the last hash, chained to the first", r.obj["head"], last["prev"], last["hash"])
	}
	var view struct {
		Head    string               `json:"head"`
		Entries []session.AuditEntry `json:"entries"`
	}
	if err := json.Unmarshal([]byte(r.body), &view); err != nil {
		t.Fatal(err)
	}
	if err := session.VerifyAudit(view.Entries); err != nil || view.Head != session.AuditHead(view.Entries) || len(view.Head) != 64 {
		t.Errorf("the answer's trail: VerifyAudit %v, head %q; want intact with its head", err, view.Head)
	}
}

func TestPassiveSessions(t *testing.T) {
	f := newFixture(t, nil)
	r := f.do("POST", "/face/v1/passive-liveness-sessions", keyA, `{"success_url":"https://a.example/","cancel_url":"https://a.example/c"}`)
	if r.code != 200 || r.obj["status"] != "PENDING" {
		t.Fatalf("got %d %s", r.code, r.body)
	}
	if _, ok := r.obj["number_of_gestures"]; ok {
		t.Errorf("passive session has number_of_gestures: %s", r.body)
	}
	sid := r.obj["sid"].(string)
	if r := f.do("GET", sessions+"/"+sid, keyA, ""); r.code != 404 {
		t.Errorf("passive session via the active path: got %d; want 404", r.code)
	}
	if r := f.do("POST", "/face/v1/passive-liveness-sessions", keyA, `{"success_url":"https://a.example/","number_of_gestures":2}`); r.code != 400 {
		t.Errorf("passive with gestures: got %d; want 400", r.code)
	}
}

func TestCreateRateLimitPerKey(t *testing.T) {
	f := newFixture(t, &session.RateLimit{PerSecond: 0.5, Burst: 2})
	body := `{"success_url":"https://a.example/"}`
	// Bad input does not take a token.
	for i := 0; i < 3; i++ {
		f.do("POST", sessions, keyA, `{}`)
	}
	f.create(keyA, body)
	f.create(keyA, body)
	r := f.do("POST", sessions, keyA, body)
	if r.code != 429 || r.hdr.Get("Retry-After") != "2" || r.obj["status"] != "failed" {
		t.Fatalf("third create: got %d Retry-After %q %s; want 429, 2", r.code, r.hdr.Get("Retry-After"), r.body)
	}
	f.create(keyB, body) // another key has its own bucket
	f.clock.Advance(2 * time.Second)
	f.create(keyA, body)
	if n := f.store.Len(); n != 4 {
		t.Errorf("stored %d sessions; want 4", n)
	}
}

func TestRequestID(t *testing.T) {
	f := newFixture(t, nil)
	r := f.do("GET", sessions+"/x", keyA, "", func(r *http.Request) { r.Header.Set("X-Request-Id", "abc-123") })
	if got := r.hdr.Get("Request-Id"); got != "abc-123" {
		t.Errorf("sane incoming id: got %q; want abc-123", got)
	}
	r = f.do("GET", sessions+"/x", keyA, "", func(r *http.Request) { r.Header.Set("X-Request-Id", "evil\" id\u2028") })
	if got := r.hdr.Get("Request-Id"); got == "" || strings.ContainsAny(got, "\" ") {
		t.Errorf("insane incoming id: got %q; want a fresh id", got)
	}
}

func TestUnknownEndpointsUseErrorFormat(t *testing.T) {
	f := newFixture(t, nil)
	for _, tt := range []struct{ method, path string }{
		{"GET", "/face/v1/nothing"},
		{"PUT", sessions},
		{"GET", sessions},
	} {
		r := f.do(tt.method, tt.path, keyA, "")
		if r.code != 404 || r.obj["status"] != "failed" {
			t.Errorf("%s %s: got %d %s; want 404 in the error format", tt.method, tt.path, r.code, r.body)
		}
	}
}

// A session whose gestures matched but whose liveness failed shows GLAIR's
// failed/MATCH with livegate's score, attack type and breakdown.
func TestFinishedResultLivenessBreakdown(t *testing.T) {
	f := newFixture(t, nil)
	sid := f.create(keyA, `{"success_url":"https://a.example/","gestures":["HEAD_LEFT"]}`).obj["sid"].(string)
	score, loop, attack := 10.0, 10.0, "injection"
	_, err := f.store.Update(context.Background(), sid, func(s *session.Session) error {
		if _, err := s.StartAttempt(f.clock.Now()); err != nil {
			return err
		}
		return s.Finish(session.Result{Status: "failed", GestureStatus: session.GestureMatch,
			DetectedGesture: session.HeadLeft, LivenessScore: &score, AttackType: &attack,
			Liveness: &session.LivenessDetail{PassMark: 50, Decisive: "loop", Signals: []session.LivenessSignal{
				{Name: "loop", Score: &loop, Attack: attack, Reason: "2 looped runs of frames"},
				{Name: "model", Reason: "model not run"},
			}}}, f.clock.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	r := f.do("GET", sessions+"/"+sid, keyA, "")
	res, _ := r.obj["result"].(map[string]any)
	inner, _ := res["result"].(map[string]any)
	if res["status"] != "failed" || inner["gesture_status"] != "MATCH" || res["liveness_score"] != 10.0 || res["attack_type"] != "injection" {
		t.Fatalf("got %s; want failed, MATCH, 10, injection", r.body)
	}
	l, _ := res["liveness"].(map[string]any)
	sigs, _ := l["signals"].([]any)
	if l["pass_mark"] != 50.0 || l["decisive"] != "loop" || len(sigs) != 2 {
		t.Fatalf("liveness breakdown %v; want pass mark 50, decisive loop, 2 signals", res["liveness"])
	}
	first, _ := sigs[0].(map[string]any)
	second, _ := sigs[1].(map[string]any)
	if first["name"] != "loop" || first["score"] != 10.0 || first["attack"] != "injection" || second["score"] != nil {
		t.Errorf("signals %v; want loop 10 injection, then model with a null score", sigs)
	}
	if _, ok := second["score"]; !ok {
		t.Errorf("a signal without data omits score; want \"score\":null")
	}
}
