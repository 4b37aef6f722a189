package signedurl

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	secretA = "0123456789abcdef0123456789abcdef-a"
	secretB = "0123456789abcdef0123456789abcdef-b"
)

func mustNew(t *testing.T, secrets ...string) *Signer {
	t.Helper()
	s, err := New(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func parse(t *testing.T, link string) (string, url.Values) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path, u.Query()
}

func TestRoundTripAndExpiry(t *testing.T) {
	s := mustNew(t, secretA)
	now := time.Unix(1_800_000_000, 0)
	path, q := parse(t, s.Path("/evidence/abc/image_far", now.Add(time.Hour)))
	if err := s.Verify(path, q, now); err != nil {
		t.Fatalf("fresh link: %v", err)
	}
	if err := s.Verify(path, q, now.Add(time.Hour-time.Second)); err != nil {
		t.Errorf("a second before expiry: %v", err)
	}
	if err := s.Verify(path, q, now.Add(time.Hour)); !errors.Is(err, ErrExpired) {
		t.Errorf("at expiry: %v; want ErrExpired", err)
	}
}

func TestTampering(t *testing.T) {
	s := mustNew(t, secretA)
	now := time.Unix(1_800_000_000, 0)
	link := s.Path("/evidence/abc/image_far", now.Add(time.Hour))
	path, q := parse(t, link)

	cases := map[string]func() (string, url.Values){
		"other path": func() (string, url.Values) { return "/evidence/abc/image_near", q },
		"other sid":  func() (string, url.Values) { return "/evidence/abd/image_far", q },
		"later exp": func() (string, url.Values) {
			c := url.Values{"exp": {"1900000000"}, "sig": q["sig"]}
			return path, c
		},
		"flipped sig": func() (string, url.Values) {
			sig := []byte(q.Get("sig"))
			sig[3] ^= 1
			return path, url.Values{"exp": q["exp"], "sig": {string(sig)}}
		},
		"no sig":       func() (string, url.Values) { return path, url.Values{"exp": q["exp"]} },
		"no exp":       func() (string, url.Values) { return path, url.Values{"sig": q["sig"]} },
		"junk exp":     func() (string, url.Values) { return path, url.Values{"exp": {"1e9"}, "sig": q["sig"]} },
		"negative exp": func() (string, url.Values) { return path, url.Values{"exp": {"-5"}, "sig": q["sig"]} },
		"huge sig": func() (string, url.Values) {
			return path, url.Values{"exp": q["exp"], "sig": {strings.Repeat("A", 10000)}}
		},
		"bad base64": func() (string, url.Values) { return path, url.Values{"exp": q["exp"], "sig": {"!!!"}} },
	}
	for name, f := range cases {
		p, v := f()
		if err := s.Verify(p, v, now); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: %v; want ErrSignature", name, err)
		}
	}
	// An expired link that was also tampered with says signature, not
	// expiry: the expiry of a forged link means nothing.
	if err := s.Verify("/evidence/abc/other", q, now.Add(2*time.Hour)); !errors.Is(err, ErrSignature) {
		t.Errorf("tampered and expired: %v; want ErrSignature", err)
	}
}

func TestKeys(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	a, b := mustNew(t, secretA), mustNew(t, secretB)
	path, q := parse(t, a.Path("/report/abc", now.Add(time.Minute)))
	if err := b.Verify(path, q, now); !errors.Is(err, ErrSignature) {
		t.Errorf("another secret's link: %v; want ErrSignature", err)
	}
	// Rotation: the new secret first, the old one still verifies.
	rotated := mustNew(t, secretB, secretA)
	if err := rotated.Verify(path, q, now); err != nil {
		t.Errorf("old secret's link after rotation: %v", err)
	}
	path2, q2 := parse(t, rotated.Path("/report/abc", now.Add(time.Minute)))
	if err := b.Verify(path2, q2, now); err != nil {
		t.Errorf("the rotated signer signs with its first secret: %v", err)
	}
	if _, err := New(); err == nil {
		t.Error("New() without a secret succeeded")
	}
	if _, err := New("short"); err == nil {
		t.Error("New with a 5-byte secret succeeded")
	}
}
