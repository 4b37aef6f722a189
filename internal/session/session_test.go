package session_test

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
)

func TestWithSID(t *testing.T) {
	const sid = "S2axFG8x3k6GxbbOSeMwI3QUxkhTiloQ"
	tests := []struct {
		raw       string
		wantQuery url.Values
		wantFrag  string
	}{
		{"https://shop.example/done", url.Values{"sid": {sid}}, ""},
		{"https://shop.example/done?order=42", url.Values{"order": {"42"}, "sid": {sid}}, ""},
		{"https://shop.example/done?b=2&a=1&a=3", url.Values{"a": {"1", "3"}, "b": {"2"}, "sid": {sid}}, ""},
		{"https://shop.example/done?next=%2Fcart%3Fx%3D1%26y%3D2", url.Values{"next": {"/cart?x=1&y=2"}, "sid": {sid}}, ""},
		{"https://shop.example/done#step-3", url.Values{"sid": {sid}}, "step-3"},
		{"https://shop.example/done?x=1#/app/route?y=2", url.Values{"x": {"1"}, "sid": {sid}}, "/app/route?y=2"},
		{"https://shop.example/done?sid=old&x=1", url.Values{"x": {"1"}, "sid": {sid}}, ""},
		{"https://shop.example/done?sid=a&sid=b", url.Values{"sid": {sid}}, ""},
		{"http://127.0.0.1:8080/cb?", url.Values{"sid": {sid}}, ""},
	}
	for _, tt := range tests {
		got, err := session.WithSID(tt.raw, sid)
		if err != nil {
			t.Errorf("WithSID(%q): %v", tt.raw, err)
			continue
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Errorf("WithSID(%q) = %q: does not parse: %v", tt.raw, got, err)
			continue
		}
		orig, _ := url.Parse(tt.raw)
		if u.Scheme != orig.Scheme || u.Host != orig.Host || u.Path != orig.Path {
			t.Errorf("WithSID(%q) = %q: got %s://%s%s; want %s://%s%s", tt.raw, got, u.Scheme, u.Host, u.Path, orig.Scheme, orig.Host, orig.Path)
		}
		if q := u.Query(); !reflect.DeepEqual(q, tt.wantQuery) {
			t.Errorf("WithSID(%q) = %q: query got %v; want %v", tt.raw, got, q, tt.wantQuery)
		}
		if u.Fragment != tt.wantFrag {
			t.Errorf("WithSID(%q) = %q: fragment got %q; want %q", tt.raw, got, u.Fragment, tt.wantFrag)
		}
		if err := session.CheckRedirectURL("success_url", got); err != nil {
			t.Errorf("WithSID(%q) = %q: no longer a valid redirect: %v", tt.raw, got, err)
		}
	}
}

func TestWithSIDKeepsTheIntegratorsQueryByteForByte(t *testing.T) {
	const sid = "S2axFG8x3k6GxbbOSeMwI3QUxkhTiloQ"
	for raw, want := range map[string]string{
		"https://shop.example/done?b=2&a=1&flag#frag":  "https://shop.example/done?b=2&a=1&flag&sid=" + sid + "#frag",
		"https://shop.example/done?q=a+b%20c&sid=old":  "https://shop.example/done?q=a+b%20c&sid=" + sid,
		"https://shop.example/done?%73id=x&keep=1":     "https://shop.example/done?keep=1&sid=" + sid,
		"https://shop.example/done":                    "https://shop.example/done?sid=" + sid,
		"https://shop.example/done?sidx=1#/a?b=c&sid=": "https://shop.example/done?sidx=1&sid=" + sid + "#/a?b=c&sid=",
	} {
		if got, err := session.WithSID(raw, sid); err != nil || got != want {
			t.Errorf("WithSID(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
}

func TestRedirects(t *testing.T) {
	s := newSession(t)
	got, err := s.SuccessRedirect()
	if want := "https://shop.example/done?sid=" + s.ID; err != nil || got != want {
		t.Errorf("SuccessRedirect: got %q, %v; want %q", got, err, want)
	}
	got, err = s.CancelRedirect()
	if want := "https://shop.example/cancel?sid=" + s.ID; err != nil || got != want {
		t.Errorf("CancelRedirect: got %q, %v; want %q", got, err, want)
	}
	s.CancelURL = ""
	if got, err := s.CancelRedirect(); got != "" || err != nil {
		t.Errorf("CancelRedirect without cancel_url: got %q, %v; want \"\", nil", got, err)
	}
	// The verdict is never in the redirect.
	if err := s.Finish(okResult, t0); err != nil {
		t.Fatal(err)
	}
	got, _ = s.SuccessRedirect()
	if strings.Contains(got, "success") || strings.Contains(got, "MATCH") {
		t.Errorf("SuccessRedirect after Finish: got %q; want no verdict in it", got)
	}
}

func TestNewID(t *testing.T) {
	const n = 100000
	seen := make(map[string]bool, n)
	var chars [256]bool
	for range n {
		id := session.NewID()
		if len(id) != 32 {
			t.Fatalf("NewID: got %q (%d characters); want 32", id, len(id))
		}
		if !session.ValidID(id) {
			t.Fatalf("ValidID(NewID() = %q): got false; want true", id)
		}
		if seen[id] {
			t.Fatalf("NewID: got %q twice in %d ids", id, n)
		}
		seen[id] = true
		for i := 0; i < len(id); i++ {
			chars[id[i]] = true
		}
	}
	// Every character of the base64url alphabet shows up: the ids use all
	// 192 bits, not a narrower alphabet.
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for c := range 256 {
		if want := strings.IndexByte(alphabet, byte(c)) >= 0; chars[c] != want {
			t.Errorf("character %q in ids: got %v; want %v", rune(c), chars[c], want)
		}
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"S2axFG8x3k6GxbbOSeMwI3QUxkhTiloQ", true},
		{"________________________________", true},
		{"--------------------------------", true},
		{"", false},
		{"S2axFG8x3k6GxbbOSeMwI3QUxkhTilo", false},   // 31
		{"S2axFG8x3k6GxbbOSeMwI3QUxkhTiloQA", false}, // 33
		{"S2axFG8x3k6GxbbOSeMwI3QUxkhTilo=", false},
		{"S2axFG8x3k6GxbbOSeMwI3QUxkhTilo+", false},
		{"S2axFG8x3k6GxbbOSeMwI3QUxkhTilo/", false},
		{"S2axFG8x3k6GxbbOSeMwI3QUxkhTilo.", false},
		{"S2axFG8x3k6GxbbOSeMwI3QUxkhTilo ", false},
		{"S2axFG8x3k6GxbbOSeMwI3QUxkhTil\u00e9", false}, // 32 bytes, one rune not ASCII
		{"../../../../../../../etc/passwd", false},
		{"S2axFG8x3k6GxbbOSeMwI3QUxkhT*:x", false},
	}
	for _, tt := range tests {
		if got := session.ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q): got %v; want %v", tt.id, got, tt.want)
		}
	}
}

func TestClone(t *testing.T) {
	score, attack, reaction := 88.0, "unsure", int64(450)
	s := newSession(t)
	s.Gestures = []session.Gesture{session.HeadLeft, session.HeadUp}
	s.Result = &session.Result{
		Status: "success", GestureStatus: session.GestureMatch,
		Gestures:      []session.GestureOutcome{{Gesture: session.HeadLeft, Status: session.GestureMatch, At: t0, ReactionMS: &reaction}},
		LivenessScore: &score, AttackType: &attack,
		Evidence: []session.GestureEvidence{{Gesture: session.HeadLeft, OnsetMS: &reaction, Held: [][2]int64{{1, 2}},
			Turn: &session.TurnEvidence{Planar: 0.1}, Samples: session.EvidenceSamples{T: []int64{0}, Measure: []float32{3}}}},
	}
	c := s.Clone()
	if !reflect.DeepEqual(c, s) {
		t.Fatalf("Clone: got %+v; want %+v", c, s)
	}
	c.Gestures[0] = session.HeadDown
	c.Result.Gestures[0].Status = session.GestureNoFace
	*c.Result.LivenessScore = 1
	*c.Result.Gestures[0].ReactionMS = 1
	*c.Result.AttackType = "injection"
	c.Result.Status = "failed"
	ev := &c.Result.Evidence[0]
	*ev.OnsetMS, ev.Held[0][0], ev.Turn.Planar, ev.Samples.Measure[0] = 9, 9, 9, 9
	if o := s.Result.Evidence[0]; o.Held[0][0] != 1 || o.Turn.Planar != 0.1 || o.Samples.Measure[0] != 3 {
		t.Fatalf("changing a clone's evidence changed the original's: %+v", o)
	}
	if s.Gestures[0] != session.HeadLeft || s.Result.Gestures[0].Status != session.GestureMatch ||
		*s.Result.LivenessScore != 88 || *s.Result.Gestures[0].ReactionMS != 450 || *s.Result.AttackType != "unsure" || s.Result.Status != "success" {
		t.Fatalf("changing a clone changed the original: got %+v %+v", s, *s.Result)
	}
	if (*session.Session)(nil).Clone() != nil {
		t.Fatal("Clone of nil: got a session; want nil")
	}
}

func TestStatusFinal(t *testing.T) {
	tests := []struct {
		s    session.Status
		want bool
	}{
		{session.StatusPending, false},
		{session.StatusFinished, true},
		{session.StatusCanceled, true},
		{session.StatusExpired, true},
	}
	for _, tt := range tests {
		if got := tt.s.Final(); got != tt.want {
			t.Errorf("%s.Final(): got %v; want %v", tt.s, got, tt.want)
		}
	}
}

func TestParseGesture(t *testing.T) {
	for _, g := range session.Gestures {
		if got, err := session.ParseGesture(string(g)); err != nil || got != g {
			t.Errorf("ParseGesture(%q): got %q, %v; want %q, nil", g, got, err, g)
		}
	}
	for _, s := range []string{"", "head_left", "HEAD_LEFT ", "HAND_11111", "HEAD_2"} {
		if _, err := session.ParseGesture(s); session.ErrorCode(err) != session.EInvalid {
			t.Errorf("ParseGesture(%q): got %v; want an EInvalid error", s, err)
		}
	}
	for _, g := range session.RandomPool {
		if g == session.HeadEyesOpen || g == session.HeadCloseMouth {
			t.Errorf("RandomPool holds %s, a neutral face that proves nothing", g)
		}
	}
}

func TestGestureKinds(t *testing.T) {
	tests := []struct {
		g           session.Gesture
		head, still bool
	}{
		{session.HeadLeft, true, false},
		{session.HeadRight, true, false},
		{session.HeadUp, true, false},
		{session.HeadDown, true, false},
		{session.HeadEyesClosed, false, false},
		{session.HeadRightClose, false, false},
		{session.HeadLeftClose, false, false},
		{session.HeadEyesOpen, false, true},
		{session.HeadOpenMouth, false, false},
		{session.HeadCloseMouth, false, true},
	}
	if len(tests) != len(session.Gestures) {
		t.Fatalf("table covers %d gestures; want all %d", len(tests), len(session.Gestures))
	}
	for _, tt := range tests {
		if got := tt.g.HeadMove(); got != tt.head {
			t.Errorf("%s.HeadMove(): got %v; want %v", tt.g, got, tt.head)
		}
		if got := tt.g.StillPerformable(); got != tt.still {
			t.Errorf("%s.StillPerformable(): got %v; want %v", tt.g, got, tt.still)
		}
	}
}

func TestErrors(t *testing.T) {
	wrapped := fmt.Errorf("store: get x: %w", session.ErrNotFound)
	tests := []struct {
		err      error
		wantCode string
		wantMsg  string
	}{
		{session.ErrNotFound, session.ENotFound, "session not found"},
		{wrapped, session.ENotFound, "session not found"},
		{session.ErrFinal, session.EConflict, "session is no longer pending"},
		{session.Errorf(session.EInvalid, "bad %s", "x"), session.EInvalid, "bad x"},
		{&session.Error{Code: session.EUnavailable, Message: "busy", Err: errors.New("secret detail")}, session.EUnavailable, "busy"},
		{errors.New("disk on fire"), session.EInternal, "internal server error"},
	}
	for _, tt := range tests {
		if got := session.ErrorCode(tt.err); got != tt.wantCode {
			t.Errorf("ErrorCode(%v): got %q; want %q", tt.err, got, tt.wantCode)
		}
		if got := session.ErrorMessage(tt.err); got != tt.wantMsg {
			t.Errorf("ErrorMessage(%v): got %q; want %q", tt.err, got, tt.wantMsg)
		}
	}
	if !errors.Is(wrapped, session.ErrNotFound) || errors.Is(wrapped, session.ErrExists) {
		t.Error("errors.Is on a wrapped sentinel: got the wrong answer")
	}
	cause := errors.New("cause")
	if e := (&session.Error{Code: session.EInternal, Message: "m", Err: cause}); !errors.Is(e, cause) || e.Error() != "m: cause" {
		t.Errorf("Error with a cause: got %q, Is(cause)=%v; want \"m: cause\", true", e.Error(), errors.Is(e, cause))
	}
}

func TestStatusAtIgnoresLocation(t *testing.T) {
	s := newSession(t)
	jakarta := time.FixedZone("WIB", 7*3600)
	if got := s.StatusAt(s.ExpiresAt.In(jakarta)); got != session.StatusExpired {
		t.Fatalf("StatusAt(expiry in another zone): got %s; want EXPIRED", got)
	}
}
