package server

import (
	"strings"
	"testing"
)

// TestMetricsAddr: with LIVEGATE_METRICS_ADDR the operator's endpoints move
// to the internal address, and the public one no longer serves them.
func TestMetricsAddr(t *testing.T) {
	s := startServer(t, map[string]string{"LIVEGATE_API_KEYS": testKey, "LIVEGATE_METRICS_ADDR": "127.0.0.1:0"})
	if s.metricsURL == "" || s.metricsURL == s.url {
		t.Fatalf("internal address %q; want one of its own beside %s", s.metricsURL, s.url)
	}
	if code, _ := get(t, s.url+"/healthz"); code != 200 {
		t.Errorf("public /healthz: %d; want 200 (container health checks use it)", code)
	}
	for _, path := range []string{"/metrics", "/readyz"} {
		if code, _ := get(t, s.url+path); code != 404 {
			t.Errorf("public %s: %d; want 404 when LIVEGATE_METRICS_ADDR is set", path, code)
		}
	}
	if code, body := get(t, s.metricsURL+"/readyz"); code != 200 || body != "ok\n" {
		t.Errorf("internal /readyz: %d %q; want 200 ok", code, body)
	}
	code, body := get(t, s.metricsURL+"/metrics")
	if code != 200 || !strings.Contains(body, `livegate_http_requests_total{code="404",method="GET",route="unmatched"}`) {
		t.Errorf("internal /metrics: %d; want 200 counting the public requests:\n%.2000s", code, body)
	}
}

// TestMetricsAddrDefault: without the option both stay on the public
// address, as before.
func TestMetricsAddrDefault(t *testing.T) {
	s := startServer(t, map[string]string{"LIVEGATE_API_KEYS": testKey})
	if s.metricsURL != "" {
		t.Errorf("internal address %q without LIVEGATE_METRICS_ADDR", s.metricsURL)
	}
	for _, path := range []string{"/metrics", "/readyz"} {
		if code, _ := get(t, s.url+path); code != 200 {
			t.Errorf("public %s: %d; want 200", path, code)
		}
	}
}

func TestMetricsAddrInvalid(t *testing.T) {
	_, err := loadConfig(func(k string) string {
		if k == "LIVEGATE_METRICS_ADDR" {
			return "9090"
		}
		return ""
	})
	if err == nil || !strings.HasPrefix(err.Error(), "LIVEGATE_METRICS_ADDR:") {
		t.Errorf("LIVEGATE_METRICS_ADDR=9090: %v; want an error naming it", err)
	}
}
