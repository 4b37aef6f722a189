package httpx_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/session"
)

func TestMiddleware(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(httpx.LogHandler{Handler: slog.NewJSONHandler(&logs, nil)})
	reg := prometheus.NewRegistry()
	mux := http.NewServeMux()
	var seenID string
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		seenID = httpx.RequestID(r.Context())
		w.WriteHeader(http.StatusTeapot)
	})
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("kaboom") })
	h := httpx.Middleware(mux, log, httpx.NewMetrics(reg), func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"status":"failed"}`))
	})

	for _, tt := range []struct {
		incoming string
		echoed   bool
	}{
		{"req-1.a_B", true},
		{strings.Repeat("x", 65), false},
		{"has space", false},
		{"", false},
	} {
		req := httptest.NewRequest("GET", "/items/secret-sid", nil)
		req.Header.Set("X-Request-Id", tt.incoming)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := rec.Header().Get("Request-Id")
		if tt.echoed && got != tt.incoming || !tt.echoed && (got == "" || got == tt.incoming) {
			t.Errorf("incoming %q: Request-Id %q (echo wanted: %v)", tt.incoming, got, tt.echoed)
		}
		if seenID != got {
			t.Errorf("handler saw request id %q; header says %q", seenID, got)
		}
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	if rec.Code != 500 || rec.Body.String() != `{"status":"failed"}` {
		t.Errorf("panic: got %d %q; want 500 from onPanic", rec.Code, rec.Body)
	}

	if got := requests(t, reg, "GET /items/{id}", "418"); got != 4 {
		t.Errorf("requests by route pattern: got %v; want 4", got)
	}
	if strings.Contains(testMetrics(t, reg), "secret-sid") {
		t.Errorf("a path value leaked into metric labels")
	}
	var panicLogged, idLogged bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		panicLogged = panicLogged || rec["msg"] == "panic" && rec["panic"] == "kaboom"
		idLogged = idLogged || rec["msg"] == "request" && rec["request_id"] == "req-1.a_B"
	}
	if !panicLogged || !idLogged {
		t.Errorf("logs lack the panic (%v) or the request id (%v):\n%s", panicLogged, idLogged, logs.String())
	}
}

func requests(t *testing.T, reg *prometheus.Registry, route, code string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "livegate_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["route"] == route && labels["code"] == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no livegate_http_requests_total{route=%q,code=%q}", route, code)
	return 0
}

func testMetrics(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		b.WriteString(mf.String())
	}
	return b.String()
}

// TestStatus: the one table from domain error codes to statuses, as the
// API (GLAIR's statuses) and the pages' signalling (docs/protocol.md) answer.
func TestStatus(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{
		{session.Errorf(session.EInvalid, "bad"), 400},
		{session.Errorf(session.EUnauthorized, "no key"), 401},
		{session.Errorf(session.EForbidden, "link expired"), 403},
		{session.ErrNotFound, 404},
		{session.ErrFinal, 409},
		{session.ErrClaimed, 409},
		{fmt.Errorf("store: %w", session.ErrExpired), 410},
		{session.Errorf(session.ETooLarge, "big"), 413},
		{session.Errorf(session.ERateLimited, "slow down"), 429},
		{session.Errorf(session.EUnavailable, "full"), 503},
		{errors.New("boom"), 500},
		{&session.Error{Code: "unknown", Message: "?"}, 500},
	} {
		if got := httpx.Status(tt.err); got != tt.want {
			t.Errorf("Status(%v) = %d; want %d", tt.err, got, tt.want)
		}
	}
}

// fullErr is a live capture at its cap: a domain error that says when to
// retry.
type fullErr struct{ err *session.Error }

func (e fullErr) Error() string           { return e.err.Error() }
func (e fullErr) Unwrap() error           { return e.err }
func (fullErr) RetryAfter() time.Duration { return 1500 * time.Millisecond }

func TestWriteDomainError(t *testing.T) {
	rec := httptest.NewRecorder()
	err := fmt.Errorf("live: %w", fullErr{err: &session.Error{Code: session.EUnavailable, Message: "too many live connections", Err: errors.New("secret cause")}})
	if got := httpx.WriteDomainError(rec, err); got != 503 {
		t.Errorf("returned %d; want 503", got)
	}
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "2" {
		t.Errorf("got %d Retry-After %q; want 503 and 2 (seconds, rounded up)", rec.Code, rec.Header().Get("Retry-After"))
	}
	if body := rec.Body.String(); body != `{"status":"failed","error_message":"too many live connections"}`+"\n" {
		t.Errorf("body %q; want the client-safe message only", body)
	}
}

// TestMetricsLabelsBounded: made-up methods, however many and however long,
// fall into one "other" series, so that a client cannot grow /metrics
// without bound; the known methods keep their own.
func TestMetricsLabelsBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	mux := http.NewServeMux()
	mux.HandleFunc("/x", func(w http.ResponseWriter, r *http.Request) {})
	var logs bytes.Buffer
	h := httpx.Middleware(mux, slog.New(slog.NewJSONHandler(&logs, nil)), httpx.NewMetrics(reg), func(http.ResponseWriter, *http.Request) {})

	methods := []string{"GET", "POST", strings.Repeat("M", 20000), "get", "PROPFIND"}
	for i := range 500 {
		methods = append(methods, fmt.Sprintf("XMETHOD%05d", i))
	}
	for _, m := range methods {
		req := httptest.NewRequest("GET", "/x", nil)
		req.Method = m
		h.ServeHTTP(httptest.NewRecorder(), req)
	}

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "livegate_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "method" {
					series[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	want := map[string]float64{"GET": 1, "POST": 1, "other": float64(len(methods) - 2)}
	if len(series) != len(want) {
		t.Fatalf("method label values %d (%v…); want exactly %v", len(series), firstKeys(series, 5), want)
	}
	for k, v := range want {
		if series[k] != v {
			t.Errorf("method %q: %v requests; want %v", k, series[k], v)
		}
	}
	if strings.Contains(logs.String(), strings.Repeat("M", 100)) {
		t.Errorf("the access log carries the 20,000-character method whole")
	}
}

func firstKeys(m map[string]float64, n int) []string {
	var out []string
	for k := range m {
		if len(out) == n {
			break
		}
		out = append(out, fmt.Sprintf("%.40q", k))
	}
	return out
}
