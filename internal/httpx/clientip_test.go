package httpx_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/session"
)

func TestClientIP(t *testing.T) {
	tests := []struct {
		name    string
		trusted string
		remote  string
		xff     []string
		want    string
	}{
		{"no proxies trusted: the peer, whatever the header says", "", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"untrusted peer: header ignored", "10.0.0.0/8", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"trusted peer: the right-most untrusted entry", "10.0.0.0/8", "10.0.0.2:443", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1"},
		{"a spoofed left part is skipped", "10.0.0.0/8", "10.0.0.2:443", []string{"1.2.3.4, 198.51.100.1, 10.0.0.9"}, "198.51.100.1"},
		{"several header lines read as one list", "10.0.0.0/8", "10.0.0.2:443", []string{"1.2.3.4", "198.51.100.1", "10.0.0.9"}, "198.51.100.1"},
		{"trusted peer without a header", "10.0.0.0/8", "10.0.0.2:443", nil, "10.0.0.2"},
		{"every entry trusted: the left-most", "10.0.0.0/8", "10.0.0.2:443", []string{"10.1.1.1, 10.0.0.9"}, "10.1.1.1"},
		{"garbage stops at the last trusted hop", "10.0.0.0/8", "10.0.0.2:443", []string{"evil, 10.0.0.9"}, "10.0.0.9"},
		{"garbage right after the peer", "10.0.0.0/8", "10.0.0.2:443", []string{"<script>"}, "10.0.0.2"},
		{"IPv6 with port in brackets", "10.0.0.0/8", "10.0.0.2:443", []string{"[2001:db8::1]:4711"}, "2001:db8::1"},
		{"IPv4-mapped peer matches an IPv4 CIDR", "127.0.0.1", "[::ffff:127.0.0.1]:80", []string{"192.0.2.5"}, "192.0.2.5"},
		{"IPv6 proxy", "2001:db8:ffff::/48", "[2001:db8:ffff::1]:443", []string{"192.0.2.5"}, "192.0.2.5"},
		{"address entry with port", "10.0.0.0/8", "10.0.0.2:443", []string{"192.0.2.5:1234"}, "192.0.2.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := httpx.ParseTrustedProxies(tt.trusted)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := tp.ClientIP(r); got != tt.want {
				t.Fatalf("ClientIP: got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "proxy.example.com", "10.0.0.1/8/8"} {
		if _, err := httpx.ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q): got no error; want one", bad)
		}
	}
	if _, err := httpx.ParseTrustedProxies(" 10.0.0.0/8, 192.0.2.1 ,::1, "); err != nil {
		t.Errorf("good list: %v", err)
	}
}

// TestLimitErrorBody checks that a lockout reaches the client as 429 with
// Retry-After, its reason as error_code and when to retry in the message.
func TestLimitErrorBody(t *testing.T) {
	w := httptest.NewRecorder()
	err := fmt.Errorf("create: %w", session.Limited(session.ERateLimited, session.ReasonDeviceLocked, "too many failed attempts", 1500*time.Millisecond))
	if got := httpx.WriteDomainError(w, err); got != http.StatusTooManyRequests {
		t.Fatalf("status: got %d; want 429", got)
	}
	if got := w.Header().Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After: got %q; want 2", got)
	}
	var body httpx.ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	want := httpx.ErrorBody{Status: "failed", ErrorMessage: "too many failed attempts; retry after 2 s", ErrorCode: "device_locked"}
	if body != want {
		t.Errorf("body: got %+v; want %+v", body, want)
	}
	// Other errors carry no error_code.
	w = httptest.NewRecorder()
	httpx.WriteDomainError(w, session.ErrNotFound)
	if strings.Contains(w.Body.String(), "error_code") {
		t.Errorf("404 body %s: want no error_code", w.Body)
	}
}
