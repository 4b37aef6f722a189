package turncred_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/turncred"
)

// The vectors were computed with OpenSSL, not with this package:
//
//	printf '%s' '1767225600:s_abc123' | openssl dgst -sha1 -hmac 'north-wind-42' -binary | base64
const (
	secret = "north-wind-42"
	expiry = 1767225600 // 2026-01-01T00:00:00Z
)

func TestPasswordKnownVectors(t *testing.T) {
	for _, tc := range []struct{ user, want string }{
		{"1767225600:s_abc123", "iBVp1LxF8Tl3SJyaALVVkdyQOBo="},
		{"1767225600:s_abc124", "IOgE1MH/rvkqWeFcEvm+3jFHjjY="},
	} {
		if got := turncred.Password(secret, tc.user); got != tc.want {
			t.Errorf("Password(%q) = %q; want %q", tc.user, got, tc.want)
		}
	}
}

func TestIssueExpiryAndSessionBinding(t *testing.T) {
	now := time.Unix(expiry, 0).Add(-10*time.Minute + 300*time.Millisecond)
	iss, err := turncred.New(secret, 10*time.Minute, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	c := iss.Issue("s_abc123")
	// The expiry is whole seconds, TTL after now (the fraction dropped).
	if c.Username != "1767225600:s_abc123" || c.Password != "iBVp1LxF8Tl3SJyaALVVkdyQOBo=" {
		t.Errorf("Issue = %q / %q; want the OpenSSL vector", c.Username, c.Password)
	}
	if !c.Expires.Equal(time.Unix(expiry, 0)) {
		t.Errorf("Expires = %v; want %v", c.Expires, time.Unix(expiry, 0).UTC())
	}
	other := iss.Issue("s_abc124")
	if other.Password == c.Password || !strings.HasSuffix(other.Username, ":s_abc124") {
		t.Errorf("another session got %q / %q; want its own username and password", other.Username, other.Password)
	}
	// Later issues expire later.
	now = now.Add(time.Hour)
	later := iss.Issue("s_abc123")
	exp, err := strconv.ParseInt(strings.SplitN(later.Username, ":", 2)[0], 10, 64)
	if err != nil || exp != expiry+3600 || later.Password == c.Password {
		t.Errorf("an hour later: %q / %q; want expiry %d and a new password", later.Username, later.Password, expiry+3600)
	}
	// Another secret gives another password for the same username.
	iss2, _ := turncred.New("other", 10*time.Minute, func() time.Time { return now.Add(-time.Hour) })
	if c2 := iss2.Issue("s_abc123"); c2.Username != c.Username || c2.Password == c.Password {
		t.Errorf("other secret: %q / %q; want the same username, another password", c2.Username, c2.Password)
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	if _, err := turncred.New("", time.Minute, nil); err == nil {
		t.Error("New with an empty secret: no error")
	}
	if _, err := turncred.New("s", 500*time.Millisecond, nil); err == nil {
		t.Error("New with a lifetime under a second: no error")
	}
	iss, err := turncred.New("s", time.Minute, nil)
	if err != nil || iss.TTL() != time.Minute {
		t.Fatalf("New: %v, TTL %v", err, iss.TTL())
	}
	if c := iss.Issue("x"); time.Until(c.Expires) < 58*time.Second || time.Until(c.Expires) > time.Minute {
		t.Errorf("default clock: expires in %v; want about a minute", time.Until(c.Expires))
	}
}
