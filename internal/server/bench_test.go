package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/metrics"
)

// benchHandler builds the whole HTTP stack of the server (middleware, API,
// instrumented store) on the store named by kind, as run wires it.
func benchHandler(b *testing.B, kind string) http.Handler {
	b.Helper()
	env := map[string]string{"LIVEGATE_API_KEYS": testKey, "LIVEGATE_PUBLIC_URL": "https://live.example.com", "LIVEGATE_CREATE_RATE": "1000000", "LIVEGATE_CREATE_BURST": "1000000"}
	if kind == "redis" {
		for k, v := range redisEnv(b) {
			env[k] = v
		}
	}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	store, limiter, closeStore, err := openStore(context.Background(), cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(closeStore)
	log := slog.New(slog.DiscardHandler)
	reg := prometheus.NewRegistry()
	h, err := newHandler(cfg, metrics.InstrumentStore(store, reg), limiter, reg, log, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

const benchBody = `{"success_url":"https://shop.example/done?order=7","cancel_url":"https://shop.example/back","number_of_gestures":2}`

func benchCreate(b *testing.B, h http.Handler) string {
	req := httptest.NewRequest("POST", "/face/v1/active-liveness-sessions", strings.NewReader(benchBody))
	req.Header.Set("x-api-key", testKey)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	i := strings.Index(body, `"sid":"`)
	return body[i+7 : i+7+32]
}

// BenchmarkAPI measures session creation and retrieval through the full
// handler stack on each store. cmd/benchreport runs it next to
// redis-benchmark for the README.
func BenchmarkAPI(b *testing.B) {
	for _, kind := range []string{"memory", "redis"} {
		b.Run(fmt.Sprintf("create/%s", kind), func(b *testing.B) {
			h := benchHandler(b, kind)
			b.ReportAllocs()
			for b.Loop() {
				benchCreate(b, h)
			}
		})
		b.Run(fmt.Sprintf("get/%s", kind), func(b *testing.B) {
			h := benchHandler(b, kind)
			sid := benchCreate(b, h)
			req := httptest.NewRequest("GET", "/face/v1/active-liveness-sessions/"+sid, nil)
			req.Header.Set("x-api-key", testKey)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("get: %d", rec.Code)
				}
				_, _ = io.Copy(io.Discard, rec.Body)
			}
		})
	}
}
