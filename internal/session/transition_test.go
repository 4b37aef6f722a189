package session_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
)

var t0 = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)

func validParams() session.Params {
	return session.Params{Kind: session.KindActive, Owner: "key-1", SuccessURL: "https://shop.example/done"}
}

func TestNew(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", session.MaxURLLength-len("https://example.com/"))
	tests := []struct {
		name    string
		modify  func(p *session.Params)
		wantErr string // a part of the message; "" for success
	}{
		{"minimal", func(p *session.Params) {}, ""},
		{"unknown kind", func(p *session.Params) { p.Kind = "hybrid" }, "kind"},
		{"no kind", func(p *session.Params) { p.Kind = "" }, "kind"},

		{"success_url missing", func(p *session.Params) { p.SuccessURL = "" }, "success_url is required"},
		{"success_url http", func(p *session.Params) { p.SuccessURL = "http://localhost:8080/cb" }, ""},
		{"success_url with query and fragment", func(p *session.Params) { p.SuccessURL = "https://x.example/cb?a=1&b=2#top" }, ""},
		{"success_url upper-case scheme", func(p *session.Params) { p.SuccessURL = "HTTPS://x.example/cb" }, ""},
		{"success_url ftp", func(p *session.Params) { p.SuccessURL = "ftp://x.example/cb" }, "success_url"},
		{"success_url javascript", func(p *session.Params) { p.SuccessURL = "javascript:alert(1)" }, "success_url"},
		{"success_url javascript with slashes", func(p *session.Params) { p.SuccessURL = "javascript://x.example/%0aalert(1)" }, "success_url"},
		{"success_url data", func(p *session.Params) { p.SuccessURL = "data:text/html,hi" }, "success_url"},
		{"success_url relative path", func(p *session.Params) { p.SuccessURL = "/done" }, "success_url"},
		{"success_url scheme-relative", func(p *session.Params) { p.SuccessURL = "//evil.example/done" }, "success_url"},
		{"success_url no host", func(p *session.Params) { p.SuccessURL = "https:///done" }, "success_url"},
		{"success_url opaque", func(p *session.Params) { p.SuccessURL = "https:x.example" }, "success_url"},
		{"success_url port only", func(p *session.Params) { p.SuccessURL = "https://:443/done" }, "success_url"},
		{"success_url userinfo", func(p *session.Params) { p.SuccessURL = "https://user:pw@x.example/" }, "success_url"},
		{"success_url user only", func(p *session.Params) { p.SuccessURL = "https://evil.example@x.example/" }, "success_url"},
		{"success_url backslash", func(p *session.Params) { p.SuccessURL = `https://x.example\@evil.example/` }, "success_url"},
		{"success_url space", func(p *session.Params) { p.SuccessURL = "https://x.example/a b" }, "success_url"},
		{"success_url newline", func(p *session.Params) { p.SuccessURL = "https://x.example/\nSet-Cookie: a=b" }, "success_url"},
		{"success_url at the length limit", func(p *session.Params) { p.SuccessURL = long }, ""},
		{"success_url over the length limit", func(p *session.Params) { p.SuccessURL = long + "a" }, "at most 2048"},

		{"cancel_url set", func(p *session.Params) { p.CancelURL = "https://x.example/cancel?x=1" }, ""},
		{"cancel_url relative", func(p *session.Params) { p.CancelURL = "cancel" }, "cancel_url"},
		{"cancel_url javascript", func(p *session.Params) { p.CancelURL = "javascript:history.back()" }, "cancel_url"},
		{"cancel_url userinfo", func(p *session.Params) { p.CancelURL = "https://u@x.example/" }, "cancel_url"},
		{"cancel_url too long", func(p *session.Params) { p.CancelURL = long + "a" }, "cancel_url"},
		{"webhook_url set", func(p *session.Params) { p.WebhookURL = "https://x.example/hook" }, ""},
		{"webhook_url relative", func(p *session.Params) { p.WebhookURL = "/hook" }, "webhook_url"},
		{"webhook_url javascript", func(p *session.Params) { p.WebhookURL = "javascript:x" }, "webhook_url"},
		{"webhook_url userinfo", func(p *session.Params) { p.WebhookURL = "https://u:p@x.example/hook" }, "webhook_url"},
		{"webhook_url too long", func(p *session.Params) { p.WebhookURL = long + "a" }, "webhook_url"},

		{"number_of_gestures 1", func(p *session.Params) { p.NumberOfGestures = 1 }, ""},
		{"number_of_gestures 5", func(p *session.Params) { p.NumberOfGestures = 5 }, ""},
		{"number_of_gestures 6", func(p *session.Params) { p.NumberOfGestures = 6 }, "number_of_gestures"},
		{"number_of_gestures -1", func(p *session.Params) { p.NumberOfGestures = -1 }, "number_of_gestures"},

		{"gestures known", func(p *session.Params) { p.Gestures = []string{"HEAD_LEFT", "HEAD_11", "HEAD_CLOSE_MOUTH"} }, ""},
		{"gestures every code", func(p *session.Params) {
			p.Gestures = []string{"HEAD_RIGHT", "HEAD_UP", "HEAD_DOWN", "HEAD_01", "HEAD_10"}
		}, ""},
		{"gestures unknown", func(p *session.Params) { p.Gestures = []string{"HEAD_LEFT", "HEAD_SIDEWAYS"} }, "HEAD_SIDEWAYS"},
		{"gestures lower case", func(p *session.Params) { p.Gestures = []string{"head_left"} }, "unknown gesture"},
		{"gestures hand (later extension)", func(p *session.Params) { p.Gestures = []string{"HAND_00000"} }, "unknown gesture"},
		{"gestures 6", func(p *session.Params) {
			p.Gestures = strings.Split("HEAD_LEFT,HEAD_RIGHT,HEAD_UP,HEAD_DOWN,HEAD_00,HEAD_OPEN_MOUTH", ",")
		}, "at most 5"},
		{"gestures HEAD_11 alone", func(p *session.Params) { p.Gestures = []string{"HEAD_11"} }, "a still photo can perform every one of HEAD_11;"},
		{"gestures HEAD_CLOSE_MOUTH alone", func(p *session.Params) { p.Gestures = []string{"HEAD_CLOSE_MOUTH"} }, "include a head turn, tilt, eye or mouth gesture"},
		{"gestures only still ones", func(p *session.Params) { p.Gestures = []string{"HEAD_CLOSE_MOUTH", "HEAD_11"} }, "still photo"},
		{"gestures only still ones repeated", func(p *session.Params) {
			p.Gestures = []string{"HEAD_11", "HEAD_CLOSE_MOUTH", "HEAD_11"}
		}, "HEAD_11, HEAD_CLOSE_MOUTH, HEAD_11"},
		{"gestures still with an eye gesture", func(p *session.Params) { p.Gestures = []string{"HEAD_11", "HEAD_00"} }, ""},
		{"gestures still with a mouth gesture", func(p *session.Params) { p.Gestures = []string{"HEAD_OPEN_MOUTH", "HEAD_CLOSE_MOUTH"} }, ""},
		{"gestures one eye gesture", func(p *session.Params) { p.Gestures = []string{"HEAD_01"} }, ""},
		{"gestures with matching number", func(p *session.Params) { p.Gestures, p.NumberOfGestures = []string{"HEAD_LEFT", "HEAD_UP"}, 2 }, ""},
		{"gestures with another number", func(p *session.Params) { p.Gestures, p.NumberOfGestures = []string{"HEAD_LEFT", "HEAD_UP"}, 3 }, "does not match"},

		{"expires_in 59 s", func(p *session.Params) { p.ExpiresIn = 59 * time.Second }, "expires_in_seconds"},
		{"expires_in 60 s", func(p *session.Params) { p.ExpiresIn = 60 * time.Second }, ""},
		{"expires_in 86400 s", func(p *session.Params) { p.ExpiresIn = 86400 * time.Second }, ""},
		{"expires_in 86401 s", func(p *session.Params) { p.ExpiresIn = 86401 * time.Second }, "expires_in_seconds"},
		{"expires_in negative", func(p *session.Params) { p.ExpiresIn = -time.Hour }, "expires_in_seconds"},

		{"max_attempts 1", func(p *session.Params) { p.MaxAttempts = 1 }, ""},
		{"max_attempts 10", func(p *session.Params) { p.MaxAttempts = 10 }, ""},
		{"max_attempts 11", func(p *session.Params) { p.MaxAttempts = 11 }, "max_attempts"},
		{"max_attempts -1", func(p *session.Params) { p.MaxAttempts = -1 }, "max_attempts"},

		{"locale en", func(p *session.Params) { p.Locale = "en" }, ""},
		{"locale id", func(p *session.Params) { p.Locale = "id" }, ""},
		{"locale fr", func(p *session.Params) { p.Locale = "fr" }, "locale"},
		{"locale en-US", func(p *session.Params) { p.Locale = "en-US" }, "locale"},

		{"device id at the limit", func(p *session.Params) { p.DeviceCorrelationID = strings.Repeat("d", session.MaxDeviceIDLength) }, ""},
		{"device id over the limit", func(p *session.Params) { p.DeviceCorrelationID = strings.Repeat("d", session.MaxDeviceIDLength+1) }, "device_correlation_id"},

		{"passive", func(p *session.Params) { p.Kind = session.KindPassive }, ""},
		{"passive with gestures", func(p *session.Params) { p.Kind, p.Gestures = session.KindPassive, []string{"HEAD_LEFT"} }, "no gestures"},
		{"passive with number_of_gestures", func(p *session.Params) { p.Kind, p.NumberOfGestures = session.KindPassive, 1 }, "no gestures"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validParams()
			tt.modify(&p)
			s, err := session.New(p, t0)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("New: got a session; want an error containing %q", tt.wantErr)
				}
				if code := session.ErrorCode(err); code != session.EInvalid {
					t.Errorf("New: got code %q; want %q", code, session.EInvalid)
				}
				if msg := session.ErrorMessage(err); !strings.Contains(msg, tt.wantErr) {
					t.Errorf("New: got message %q; want it to contain %q", msg, tt.wantErr)
				}
				if s != nil {
					t.Errorf("New: got session %+v with an error; want nil", s)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: got %v; want a session", err)
			}
			if s.Status != session.StatusPending || !session.ValidID(s.ID) || !s.CreatedAt.Equal(t0) {
				t.Errorf("New: got status %s id %q created %v; want PENDING, a valid id, %v", s.Status, s.ID, s.CreatedAt, t0)
			}
		})
	}
}

func TestNewDefaultsAndFields(t *testing.T) {
	p := validParams()
	p.CancelURL, p.WebhookURL = "https://x.example/c", "https://x.example/h"
	p.DeviceCorrelationID, p.Locale = "dev", "id"
	s, err := session.New(p, t0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"Kind", s.Kind, session.KindActive},
		{"Owner", s.Owner, "key-1"},
		{"ExpiresAt", s.ExpiresAt, t0.Add(24 * time.Hour)},
		{"MaxAttempts", s.MaxAttempts, 3},
		{"AttemptsUsed", s.AttemptsUsed, 0},
		{"NumberOfGestures", s.NumberOfGestures(), 1},
		{"SuccessURL", s.SuccessURL, p.SuccessURL},
		{"CancelURL", s.CancelURL, p.CancelURL},
		{"WebhookURL", s.WebhookURL, p.WebhookURL},
		{"DeviceCorrelationID", s.DeviceCorrelationID, "dev"},
		{"Locale", s.Locale, "id"},
		{"EndedAt zero", s.EndedAt.IsZero(), true},
		{"Result", s.Result == nil, true},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v; want %v", tt.name, tt.got, tt.want)
		}
	}

	p = validParams()
	p.ExpiresIn, p.MaxAttempts = 90*time.Second, 7
	p.Gestures = []string{"HEAD_UP", "HEAD_UP", "HEAD_10"}
	s, err = session.New(p, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !s.ExpiresAt.Equal(t0.Add(90*time.Second)) || s.MaxAttempts != 7 {
		t.Errorf("explicit limits: got expiry %v, max attempts %d; want %v, 7", s.ExpiresAt, s.MaxAttempts, t0.Add(90*time.Second))
	}
	want := []session.Gesture{session.HeadUp, session.HeadUp, session.HeadLeftClose}
	if len(s.Gestures) != len(want) {
		t.Fatalf("explicit gestures: got %v; want %v", s.Gestures, want)
	}
	for i := range want {
		if s.Gestures[i] != want[i] {
			t.Fatalf("explicit gestures: got %v; want %v (in the given order)", s.Gestures, want)
		}
	}

	p = validParams()
	p.Kind = session.KindPassive
	s, err = session.New(p, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Gestures) != 0 || s.Kind != session.KindPassive {
		t.Errorf("passive: got kind %s gestures %v; want passive with none", s.Kind, s.Gestures)
	}
}

// TestNewRandomGestures checks the gestures drawn when only a number is
// given: that many, from RandomPool, never the same twice in a row, always
// with a head turn or tilt (the gestures the 3D test covers), and not always
// the same sequence.
func TestNewRandomGestures(t *testing.T) {
	pool := map[session.Gesture]bool{}
	for _, g := range session.RandomPool {
		pool[g] = true
	}
	seen := map[string]bool{}
	for n := 1; n <= session.MaxNumberOfGestures; n++ {
		for range 50 {
			p := validParams()
			p.NumberOfGestures = n
			s, err := session.New(p, t0)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Gestures) != n {
				t.Fatalf("number_of_gestures %d: got %d gestures", n, len(s.Gestures))
			}
			for i, g := range s.Gestures {
				if !pool[g] {
					t.Fatalf("number_of_gestures %d: got %s; want only gestures of RandomPool", n, g)
				}
				if i > 0 && s.Gestures[i-1] == g {
					t.Fatalf("number_of_gestures %d: got %v; want no gesture twice in a row", n, s.Gestures)
				}
			}
			if !slices.ContainsFunc(s.Gestures, session.Gesture.HeadMove) {
				t.Fatalf("number_of_gestures %d: got %v; want at least one head turn or tilt", n, s.Gestures)
			}
			seen[strings.Join(gestureStrings(s.Gestures), ",")] = true
		}
	}
	if len(seen) < 50 {
		t.Fatalf("250 random draws: got %d distinct sequences; want many more (are they random?)", len(seen))
	}
}

func gestureStrings(gs []session.Gesture) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = string(g)
	}
	return out
}

func newSession(t *testing.T) *session.Session {
	t.Helper()
	p := validParams()
	p.ExpiresIn, p.MaxAttempts = time.Hour, 2
	p.CancelURL = "https://shop.example/cancel"
	s, err := session.New(p, t0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var okResult = session.Result{Status: "success", GestureStatus: session.GestureMatch, DetectedGesture: session.HeadLeft}

// The transitions under test, each as a func of the session and a time.
var transitions = []struct {
	name string
	do   func(s *session.Session, now time.Time) error
}{
	{"Claim", func(s *session.Session, now time.Time) error { return s.Claim("browser-a", now) }},
	{"Release", func(s *session.Session, now time.Time) error { return s.Release("browser-a", now) }},
	{"StartAttempt", func(s *session.Session, now time.Time) error { _, err := s.StartAttempt(now); return err }},
	{"Finish", func(s *session.Session, now time.Time) error { return s.Finish(okResult, now) }},
	{"Cancel", func(s *session.Session, now time.Time) error { return s.Cancel(now) }},
}

func TestNothingLeavesAFinalState(t *testing.T) {
	ends := []struct {
		name    string
		end     func(s *session.Session) // at t0 + 1 min
		status  session.Status
		wantErr error
	}{
		{"finished", func(s *session.Session) { mustOK(t, s.Finish(okResult, t0.Add(time.Minute))) }, session.StatusFinished, session.ErrFinal},
		{"canceled", func(s *session.Session) { mustOK(t, s.Cancel(t0.Add(time.Minute))) }, session.StatusCanceled, session.ErrFinal},
		{"expired", func(s *session.Session) { s.Expire(s.ExpiresAt) }, session.StatusExpired, session.ErrExpired},
	}
	for _, end := range ends {
		for _, tr := range transitions {
			// Before and after the expiry: a session that ended before it
			// expired still reports how it ended, not "expired".
			for _, at := range []time.Duration{2 * time.Minute, 2 * time.Hour} {
				s := newSession(t)
				end.end(s)
				before := *s
				err := tr.do(s, t0.Add(at))
				if !errors.Is(err, end.wantErr) {
					t.Errorf("%s then %s at +%v: got %v; want %v", end.name, tr.name, at, err, end.wantErr)
				}
				if s.Status != end.status || s.StatusAt(t0.Add(at)) != end.status || s.EndedAt != before.EndedAt || s.AttemptsUsed != before.AttemptsUsed || s.ClaimedBy != before.ClaimedBy || s.Result != before.Result {
					t.Errorf("%s then %s at +%v: got %+v; want it unchanged %+v", end.name, tr.name, at, *s, before)
				}
				if s.Expire(t0.Add(at)) {
					t.Errorf("%s then Expire at +%v: got true; want false", end.name, at)
				}
			}
		}
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestExpiry(t *testing.T) {
	s := newSession(t)
	tests := []struct {
		at   time.Time
		want session.Status
	}{
		{t0, session.StatusPending},
		{s.ExpiresAt.Add(-time.Nanosecond), session.StatusPending},
		{s.ExpiresAt, session.StatusExpired},
		{s.ExpiresAt.Add(time.Hour), session.StatusExpired},
	}
	for _, tt := range tests {
		if got := s.StatusAt(tt.at); got != tt.want {
			t.Errorf("StatusAt(%v): got %s; want %s", tt.at, got, tt.want)
		}
	}
	if s.Status != session.StatusPending {
		t.Fatalf("StatusAt changed the stored status to %s; want PENDING", s.Status)
	}
	for _, tr := range transitions {
		c := s.Clone()
		if err := tr.do(c, s.ExpiresAt); !errors.Is(err, session.ErrExpired) {
			t.Errorf("%s at expiry: got %v; want ErrExpired", tr.name, err)
		}
		if err := tr.do(c, s.ExpiresAt.Add(-time.Nanosecond)); err != nil {
			t.Errorf("%s just before expiry: got %v; want nil", tr.name, err)
		}
	}

	if s.Expire(s.ExpiresAt.Add(-time.Nanosecond)) {
		t.Fatal("Expire before expiry: got true; want false")
	}
	if !s.Expire(s.ExpiresAt.Add(time.Minute)) {
		t.Fatal("Expire after expiry: got false; want true")
	}
	if s.Status != session.StatusExpired || !s.EndedAt.Equal(s.ExpiresAt) {
		t.Fatalf("after Expire: got %s ended %v; want EXPIRED ended at the expiry %v", s.Status, s.EndedAt, s.ExpiresAt)
	}
	if s.Expire(s.ExpiresAt.Add(time.Hour)) {
		t.Fatal("Expire twice: got true; want false")
	}
}

func TestClaim(t *testing.T) {
	s := newSession(t)
	steps := []struct {
		browser string
		at      time.Duration
		want    error
	}{
		{"browser-a", time.Second, nil},
		{"browser-b", 2 * time.Second, session.ErrClaimed},
		{"browser-a", 3 * time.Second, nil},
		{"", 4 * time.Second, session.ErrClaimed},
	}
	for _, st := range steps {
		if err := s.Claim(st.browser, t0.Add(st.at)); !errors.Is(err, st.want) {
			t.Fatalf("Claim(%q) at +%v: got %v; want %v", st.browser, st.at, err, st.want)
		}
	}
	if s.ClaimedBy != "browser-a" || !s.ClaimedAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("claim: got %q at %v; want browser-a at the first claim %v", s.ClaimedBy, s.ClaimedAt, t0.Add(time.Second))
	}
}

func TestClaimLease(t *testing.T) {
	s := newSession(t)
	if err := s.Claim("browser-a", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartAttempt(t0); err != nil {
		t.Fatal(err)
	}
	lease := session.ClaimLease
	// A live connection renews the claim: the lease runs from the renewal.
	if err := s.RenewClaim("browser-a", t0.Add(lease/2)); err != nil {
		t.Fatalf("RenewClaim by the claimant: %v", err)
	}
	if err := s.RenewClaim("browser-b", t0.Add(lease/2)); !errors.Is(err, session.ErrClaimed) {
		t.Fatalf("RenewClaim by another browser: got %v; want ErrClaimed", err)
	}
	if err := s.Claim("browser-b", t0.Add(lease)); !errors.Is(err, session.ErrClaimed) {
		t.Fatalf("Claim by another browser past the first lease but within the renewed one: got %v; want ErrClaimed", err)
	}
	if !s.HeldByOther("browser-b", t0.Add(lease/2+lease-time.Millisecond)) {
		t.Fatal("HeldByOther just before the renewed lease ends: got false; want true")
	}
	end := t0.Add(lease/2 + lease)
	if !s.ClaimLapsed(end) || s.HeldByOther("browser-b", end) || s.HeldByOther("browser-a", t0) {
		t.Fatalf("at the lease's end: lapsed %v, held against b %v; want true, false", s.ClaimLapsed(end), s.HeldByOther("browser-b", end))
	}
	if err := s.Claim("browser-b", end); err != nil {
		t.Fatalf("Claim of a lapsed claim: %v; want nil", err)
	}
	if s.ClaimedBy != "browser-b" || !s.ClaimedAt.Equal(end) || s.AttemptsUsed != 1 {
		t.Fatalf("after the takeover: claimed by %q at %v, attempts used %d; want browser-b at %v, 1 (a takeover refunds nothing)",
			s.ClaimedBy, s.ClaimedAt, s.AttemptsUsed, end)
	}
	if err := s.RenewClaim("browser-a", end); !errors.Is(err, session.ErrClaimed) {
		t.Fatalf("RenewClaim by the browser that lost the claim: got %v; want ErrClaimed", err)
	}
	if err := s.Claim("browser-a", end.Add(time.Second)); !errors.Is(err, session.ErrClaimed) {
		t.Fatalf("Claim by the first browser after the takeover: got %v; want ErrClaimed", err)
	}
}

func TestRelease(t *testing.T) {
	s := newSession(t)
	if err := s.Release("browser-a", t0); err != nil {
		t.Fatalf("Release of an unclaimed session: %v; want nil", err)
	}
	if err := s.Claim("browser-a", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Release("browser-b", t0); !errors.Is(err, session.ErrClaimed) || s.ClaimedBy != "browser-a" {
		t.Fatalf("Release by another browser: got %v, claimed by %q; want ErrClaimed, browser-a", err, s.ClaimedBy)
	}
	if err := s.Release("browser-a", t0); err != nil || s.ClaimedBy != "" || !s.ClaimedAt.IsZero() {
		t.Fatalf("Release by the claimant: got %v, claimed by %q at %v; want nil, unclaimed", err, s.ClaimedBy, s.ClaimedAt)
	}
	if err := s.Claim("browser-b", t0.Add(time.Second)); err != nil || s.ClaimedBy != "browser-b" {
		t.Fatalf("Claim after release: got %v, %q; want browser-b", err, s.ClaimedBy)
	}
}

func TestAttempts(t *testing.T) {
	s := newSession(t) // 2 attempts
	for want := 1; want <= 2; want++ {
		n, err := s.StartAttempt(t0)
		if err != nil || n != want {
			t.Fatalf("StartAttempt #%d: got %d, %v; want %d, nil", want, n, err, want)
		}
	}
	if n, err := s.StartAttempt(t0); !errors.Is(err, session.ErrNoAttemptsLeft) || n != 0 {
		t.Fatalf("StartAttempt past the limit: got %d, %v; want 0, ErrNoAttemptsLeft", n, err)
	}
	if s.AttemptsUsed != 2 || s.AttemptsLeft() != 0 {
		t.Fatalf("after running out: got %d used, %d left; want 2, 0", s.AttemptsUsed, s.AttemptsLeft())
	}
	// Out of attempts is not the end: the session can still be finished
	// (as failed) or canceled.
	if err := s.Finish(session.Result{Status: "failed", GestureStatus: session.GestureNotMatch}, t0); err != nil {
		t.Fatalf("Finish after the last attempt: %v", err)
	}
	if s.Result.Attempts != 2 {
		t.Fatalf("Result.Attempts: got %d; want 2", s.Result.Attempts)
	}
}

func TestRefundAttempt(t *testing.T) {
	s := newSession(t) // 2 attempts
	if err := s.RefundAttempt(t0); !errors.Is(err, session.ErrNoAttemptToRefund) || s.AttemptsUsed != 0 {
		t.Fatalf("RefundAttempt with none used: got %v, %d used; want ErrNoAttemptToRefund, 0", err, s.AttemptsUsed)
	}
	for range 2 {
		if _, err := s.StartAttempt(t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RefundAttempt(t0); err != nil {
		t.Fatalf("RefundAttempt: %v", err)
	}
	if s.AttemptsUsed != 1 || s.AttemptsLeft() != 1 || s.Status != session.StatusPending {
		t.Fatalf("after a refund: got %d used, %d left, %s; want 1, 1, PENDING", s.AttemptsUsed, s.AttemptsLeft(), s.Status)
	}
	// The handed-back attempt can be started again.
	if n, err := s.StartAttempt(t0); err != nil || n != 2 {
		t.Fatalf("StartAttempt after a refund: got %d, %v; want 2, nil", n, err)
	}
	// Past the expiry, or once the session is over, nothing is handed back.
	if err := s.RefundAttempt(s.ExpiresAt); !errors.Is(err, session.ErrExpired) || s.AttemptsUsed != 2 {
		t.Fatalf("RefundAttempt after expiry: got %v, %d used; want ErrExpired, 2", err, s.AttemptsUsed)
	}
	for _, end := range []func(*session.Session) error{
		func(s *session.Session) error { return s.Finish(okResult, t0) },
		func(s *session.Session) error { return s.Cancel(t0) },
	} {
		c := s.Clone()
		mustOK(t, end(c))
		if err := c.RefundAttempt(t0); !errors.Is(err, session.ErrFinal) || c.AttemptsUsed != 2 {
			t.Errorf("RefundAttempt on a %s session: got %v, %d used; want ErrFinal, 2", c.Status, err, c.AttemptsUsed)
		}
	}
}

func TestFinish(t *testing.T) {
	tests := []struct {
		name    string
		r       session.Result
		wantErr bool
	}{
		{"success", okResult, false},
		{"failed, no face", session.Result{Status: "failed", GestureStatus: session.GestureNoFace}, false},
		{"failed, too many faces", session.Result{Status: "failed", GestureStatus: session.GestureTooManyFaces}, false},
		{"bad status", session.Result{Status: "ok", GestureStatus: session.GestureMatch}, true},
		{"no status", session.Result{GestureStatus: session.GestureMatch}, true},
		{"bad gesture status", session.Result{Status: "success", GestureStatus: "match"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t)
			if _, err := s.StartAttempt(t0); err != nil {
				t.Fatal(err)
			}
			r := tt.r
			r.Attempts = 99 // the session's own count wins
			now := t0.Add(time.Minute)
			err := s.Finish(r, now)
			if tt.wantErr {
				if session.ErrorCode(err) != session.EInvalid {
					t.Fatalf("Finish: got %v; want an EInvalid error", err)
				}
				if s.Status != session.StatusPending || s.Result != nil {
					t.Fatalf("Finish refused: got %s with result %v; want PENDING without one", s.Status, s.Result)
				}
				return
			}
			if err != nil {
				t.Fatalf("Finish: %v", err)
			}
			if s.Status != session.StatusFinished || !s.EndedAt.Equal(now) || s.Result == nil || s.Result.Attempts != 1 || s.Result.GestureStatus != tt.r.GestureStatus {
				t.Fatalf("Finish: got %s ended %v result %+v; want FINISHED ended %v with 1 attempt", s.Status, s.EndedAt, s.Result, now)
			}
			if !s.KeepUntil(time.Hour).Equal(now.Add(time.Hour)) {
				t.Errorf("KeepUntil after an early end: got %v; want %v", s.KeepUntil(time.Hour), now.Add(time.Hour))
			}
		})
	}
}

func TestCancel(t *testing.T) {
	s := newSession(t)
	now := t0.Add(time.Minute)
	if err := s.Cancel(now); err != nil {
		t.Fatal(err)
	}
	if s.Status != session.StatusCanceled || !s.EndedAt.Equal(now) || s.Result != nil {
		t.Fatalf("Cancel: got %s ended %v result %v; want CANCELED ended %v, no result", s.Status, s.EndedAt, s.Result, now)
	}
}

func TestKeepUntil(t *testing.T) {
	s := newSession(t) // expires at t0 + 1h
	if got, want := s.KeepUntil(session.DefaultRetention), s.ExpiresAt.Add(session.DefaultRetention); !got.Equal(want) {
		t.Errorf("KeepUntil of a pending session: got %v; want %v", got, want)
	}
	s.Expire(s.ExpiresAt.Add(time.Hour)) // EndedAt = ExpiresAt
	if got, want := s.KeepUntil(time.Hour), s.ExpiresAt.Add(time.Hour); !got.Equal(want) {
		t.Errorf("KeepUntil of an expired session: got %v; want %v", got, want)
	}
}
