package live_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/capture/live"
	"github.com/livegate/livegate/internal/codec/vpx"
	"github.com/livegate/livegate/internal/session"
)

func TestGestureClipFinishesWithMatch(t *testing.T) {
	r := newRig(t, rigOptions{engines: realEngines(t)})
	clip, _ := facegenClip(t, "neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 1s", "")
	s := r.session([]string{"HEAD_LEFT"}, 3)
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{clip}})
	if out.Result != "success" {
		t.Fatalf("outcome %q; want success (messages %v)", out.Result, types(out))
	}
	if want := "https://shop.example/done?order=7&sid=" + s.ID; out.Redirect != want {
		t.Errorf("redirect %q; want %q", out.Redirect, want)
	}
	ts := strings.Join(types(out), ",")
	if !strings.HasPrefix(ts, "hello,") || !strings.Contains(ts, "instruction") || !strings.HasSuffix(ts, "matched,done") {
		t.Errorf("messages %s; want hello, …instruction…, matched, done", ts)
	}
	got := r.get(s.ID)
	if got.Status != session.StatusFinished || got.Result == nil || got.Result.Status != "success" ||
		got.Result.GestureStatus != session.GestureMatch || got.Result.DetectedGesture != session.HeadLeft || got.Result.Attempts != 1 {
		t.Fatalf("stored session %+v result %+v; want FINISHED success MATCH HEAD_LEFT, 1 attempt", got, got.Result)
	}
	if len(got.Result.Gestures) != 1 || got.Result.Gestures[0].Status != session.GestureMatch {
		t.Errorf("per-gesture outcomes %+v; want HEAD_LEFT MATCH", got.Result.Gestures)
	}
	if got.Result.LivenessScore == nil || *got.Result.LivenessScore < 50 || got.Result.AttackType != nil {
		t.Errorf("liveness %v attack %v; want ≥ 50 and null for a 3D head turn", got.Result.LivenessScore, got.Result.AttackType)
	}
	// The evidence of issue 13: the turn's trace from the instruction.
	if ev := got.Result.Evidence; len(ev) != 1 || ev[0].Gesture != session.HeadLeft || ev[0].Status != session.GestureMatch ||
		ev[0].MatchedMS == nil || *ev[0].MatchedMS <= 0 || len(ev[0].Held) == 0 || ev[0].Samples.Len() == 0 || ev[0].Turn == nil {
		t.Errorf("result.evidence %+v; want HEAD_LEFT matched after the instruction, with its hold, samples and 3D figures", ev)
	}
	var started, ended bool
	for _, e := range r.audit(s.ID) {
		switch {
		case e.Event == "attempt_started" && e.Attempt == 1 && e.ClientIP == "192.0.2.7" && e.UserAgent == "test-agent":
			started = true
		case e.Event == "attempt_ended" && e.Attempt == 1 && e.Outcome == "MATCH":
			ended = true
		}
	}
	if !started || !ended {
		t.Errorf("audit %+v; want attempt_started (with IP and user agent) and attempt_ended MATCH", r.audit(s.ID))
	}
	if n := metric(t, r, "livegate_capture_attempts_total", "MATCH"); n != 1 {
		t.Errorf("attempts{MATCH} = %v; want 1", n)
	}
}

func TestWrongGestureFailsThenNextAttemptPasses(t *testing.T) {
	r := newRig(t, rigOptions{engines: realEngines(t)})
	wrong, _ := facegenClip(t, "neutral 1s; HEAD_RIGHT 30deg 1.5s; neutral 1s", "")
	right, _ := facegenClip(t, "neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 1s", "")
	s := r.session([]string{"HEAD_LEFT"}, 3)
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{wrong, right}, Retry: true})
	if out.Result != "success" || out.Attempts != 2 {
		t.Fatalf("outcome %q after %d attempts; want success after 2 (messages %v)", out.Result, out.Attempts, types(out))
	}
	var failed *client.Message
	for i := range out.Messages {
		if out.Messages[i].Type == "attempt_failed" {
			failed = &out.Messages[i]
			break
		}
	}
	if failed == nil || failed.AttemptsLeft == nil || *failed.AttemptsLeft != 2 || failed.Reason != "wrong_gesture" {
		t.Fatalf("attempt_failed %+v; want wrong_gesture with 2 attempts left", failed)
	}
	for _, m := range out.Messages {
		if m.Type == "matched" && m.Attempt == 1 {
			t.Errorf("matched during the wrong gesture's attempt: %+v", m)
		}
	}
	got := r.get(s.ID)
	if got.Status != session.StatusFinished || got.Result.GestureStatus != session.GestureMatch || got.Result.Attempts != 2 {
		t.Errorf("stored %s %+v; want FINISHED MATCH after 2 attempts", got.Status, got.Result)
	}
}

func TestFlatPhotoAttackNeverMatches(t *testing.T) {
	r := newRig(t, rigOptions{engines: realEngines(t)})
	attack, truth := facegenClip(t, "neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 1s", "flat")
	if truth.Live {
		t.Fatal("the flat clip's truth says live")
	}
	s := r.session([]string{"HEAD_LEFT"}, 1)
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{attack}})
	if out.Result != "failed" || has(out, "matched") {
		t.Fatalf("outcome %q, messages %v; want failed and no matched", out.Result, types(out))
	}
	got := r.get(s.ID)
	if got.Status != session.StatusFinished || got.Result.Status != "failed" || got.Result.GestureStatus == session.GestureMatch {
		t.Errorf("stored %s %+v; want FINISHED failed", got.Status, got.Result)
	}
	if want := "https://shop.example/done?order=7&sid=" + s.ID; out.Redirect != want {
		t.Errorf("redirect %q; want %q", out.Redirect, want)
	}
}

func TestOfferRefusals(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	offer := func(sid, who, sdp string) error {
		_, err := r.svc.Offer(ctx, live.OfferRequest{SID: sid, Browser: who, SDP: sdp})
		return err
	}
	good := r.session([]string{"HEAD_OPEN_MOUTH"}, 1)
	finished := r.session([]string{"HEAD_OPEN_MOUTH"}, 1)
	r.store.Update(ctx, finished.ID, func(s *session.Session) error {
		return s.Finish(session.Result{Status: "failed", GestureStatus: session.GestureNotMatch}, time.Now())
	})
	canceled := r.session([]string{"HEAD_OPEN_MOUTH"}, 1)
	r.store.Update(ctx, canceled.ID, func(s *session.Session) error { return s.Cancel(time.Now()) })
	used := r.session([]string{"HEAD_OPEN_MOUTH"}, 1)
	r.store.Update(ctx, used.ID, func(s *session.Session) error { _, err := s.StartAttempt(time.Now()); return err })
	expired, _ := session.New(session.Params{Kind: session.KindActive, SuccessURL: "https://a.example/", ExpiresIn: time.Minute}, time.Now().Add(-2*time.Minute))
	expired.Claim(browser, time.Now().Add(-90*time.Second))
	r.store.Create(ctx, expired)

	tests := []struct {
		name     string
		sid, who string
		sdp      string
		want     error
		wantCode string
	}{
		{"unknown", session.NewID(), browser, "v=0", session.ErrNotFound, session.ENotFound},
		{"finished", finished.ID, browser, "v=0", session.ErrFinal, session.EConflict},
		{"canceled", canceled.ID, browser, "v=0", session.ErrFinal, session.EConflict},
		{"expired", expired.ID, browser, "v=0", session.ErrExpired, session.EConflict},
		{"other browser", good.ID, "sha256:other", "v=0", session.ErrClaimed, session.EConflict},
		{"no attempts left", used.ID, browser, "v=0", session.ErrNoAttemptsLeft, session.EConflict},
		{"malformed SDP", good.ID, browser, "hello", nil, session.EInvalid},
		{"no video", good.ID, browser, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\na=sendrecv\r\n", nil, session.EInvalid},
	}
	for _, tt := range tests {
		err := offer(tt.sid, tt.who, tt.sdp)
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || session.ErrorCode(err) != tt.wantCode {
			t.Errorf("%s: got %v (code %s); want %v with code %s", tt.name, err, session.ErrorCode(err), tt.want, tt.wantCode)
		}
	}
	if r.svc.Live() != 0 {
		t.Errorf("%d live connections after refused offers; want 0", r.svc.Live())
	}
}

func TestKilledClientLeavesSessionPendingWithAttemptUsed(t *testing.T) {
	r := newRig(t, rigOptions{engines: live.EngineFactoryFunc(func() (live.Engine, error) {
		return &fakeEngine{openAfter: time.Hour}, nil // never opens: the attempt is still running
	})})
	s := r.session([]string{"HEAD_OPEN_MOUTH"}, 3)
	p := r.mustDial(s.ID)
	out := r.run(p, client.RunOptions{Clips: []*client.Clip{blankClip(t)}, StopAfter: func(m client.Message) bool { return m.Type == "instruction" }})
	if out.Result != "stopped" {
		t.Fatalf("outcome %q; want to stop at the instruction", out.Result)
	}
	p.c.Close() // the page dies mid-attempt
	waitFor(t, 10*time.Second, "the attempt to end as connection_lost", func() bool {
		for _, e := range r.audit(s.ID) {
			if e.Event == "attempt_ended" && e.Outcome == "connection_lost" {
				return true
			}
		}
		return false
	})
	got := r.get(s.ID)
	if got.Status != session.StatusPending || got.AttemptsUsed != 1 {
		t.Fatalf("after the grace: %s with %d attempts used; want PENDING with 1", got.Status, got.AttemptsUsed)
	}
	// The page may come back while attempts remain.
	r.mustDial(s.ID)
}

func TestRevokeClosesTheConnection(t *testing.T) {
	r := newRig(t, rigOptions{engines: live.EngineFactoryFunc(func() (live.Engine, error) { return &fakeEngine{openAfter: time.Hour}, nil })})
	s := r.session([]string{"HEAD_OPEN_MOUTH"}, 3)
	p := r.mustDial(s.ID)
	out := r.run(p, client.RunOptions{Clips: []*client.Clip{blankClip(t)}, OnMessage: func(m client.Message) {
		if m.Type == "instruction" { // the integrator revokes (DELETE) mid-attempt
			r.store.Update(context.Background(), s.ID, func(s *session.Session) error { return s.Cancel(time.Now()) })
		}
	}})
	if out.Result != "closing:revoked" {
		t.Fatalf("outcome %q (%v); want closing:revoked", out.Result, types(out))
	}
	waitFor(t, 5*time.Second, "the connection to close", func() bool { return r.svc.Live() == 0 })
}

func TestShutdownHandsBackTheAttempt(t *testing.T) {
	r := newRig(t, rigOptions{engines: live.EngineFactoryFunc(func() (live.Engine, error) { return &fakeEngine{openAfter: time.Hour}, nil })})
	s := r.session([]string{"HEAD_OPEN_MOUTH"}, 3)
	p := r.mustDial(s.ID)
	var once sync.Once
	shut := make(chan error, 1)
	out := r.run(p, client.RunOptions{Clips: []*client.Clip{blankClip(t)}, OnMessage: func(m client.Message) {
		if m.Type == "instruction" {
			once.Do(func() {
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					shut <- r.svc.Shutdown(ctx)
				}()
			})
		}
	}})
	if out.Result != "closing:shutdown" {
		t.Fatalf("outcome %q (%v); want closing:shutdown", out.Result, types(out))
	}
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
	got := r.get(s.ID)
	if got.Status != session.StatusPending || got.AttemptsUsed != 0 {
		t.Errorf("after shutdown: %s with %d attempts used; want PENDING with 0", got.Status, got.AttemptsUsed)
	}
	var handed bool
	for _, e := range r.audit(s.ID) {
		handed = handed || (e.Event == "attempt_ended" && e.Outcome == "handed_back")
	}
	if !handed {
		t.Errorf("audit %+v; want attempt_ended handed_back", r.audit(s.ID))
	}
	if _, err := r.svc.Offer(context.Background(), live.OfferRequest{SID: s.ID, Browser: browser, SDP: "v=0"}); session.ErrorCode(err) != session.EUnavailable {
		t.Errorf("offer after shutdown: %v; want EUnavailable", err)
	}
}

func TestGlobalCapRefusesWithRetryAfter(t *testing.T) {
	r := newRig(t, rigOptions{cfg: func(c *live.Config) { c.MaxLive = 1; c.RetryAfter = 7 * time.Second }})
	a := r.session([]string{"HEAD_OPEN_MOUTH"}, 3)
	b := r.session([]string{"HEAD_OPEN_MOUTH"}, 3)
	r.mustDial(a.ID)
	_, err := r.dial(b.ID)
	var full *live.FullError
	if !errors.As(err, &full) || full.RetryAfter() != 7*time.Second || session.ErrorCode(err) != session.EUnavailable {
		t.Fatalf("second session's offer: %v; want FullError (EUnavailable) retry after 7 s", err)
	}
	// A second offer for the same session replaces, it does not count twice.
	r.mustDial(a.ID)
}

func TestManySessionsAtOnceAndNothingLeaks(t *testing.T) {
	r := newRig(t, rigOptions{cfg: func(c *live.Config) { c.MaxLive = 32 }})
	clip := blankClip(t)
	baseG, baseDec := runtime.NumGoroutine(), vpx.LiveDecoders()
	const n = 20
	var wg sync.WaitGroup
	results := make([]string, n)
	sessions := make([]*session.Session, n)
	for i := range n {
		sessions[i] = r.session([]string{"HEAD_OPEN_MOUTH"}, 1)
	}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := r.dial(sessions[i].ID)
			if err != nil {
				results[i] = err.Error()
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := client.Run(ctx, p.c, p.msgs, client.RunOptions{Clips: []*client.Clip{clip}})
			if err != nil {
				results[i] = err.Error()
				return
			}
			results[i] = out.Result
			p.c.Close()
		}()
	}
	wg.Wait()
	for i, res := range results {
		if res != "success" {
			t.Errorf("session %d: %s; want success", i, res)
		}
		if got := r.get(sessions[i].ID); got.Status != session.StatusFinished || got.Result.GestureStatus != session.GestureMatch {
			t.Errorf("session %d stored %s %+v; want FINISHED MATCH", i, got.Status, got.Result)
		}
	}
	waitFor(t, 15*time.Second, "connections, decoders and goroutines back to baseline", func() bool {
		return r.svc.Live() == 0 && vpx.LiveDecoders() == baseDec && runtime.NumGoroutine() <= baseG
	})
	if g := metric(t, r, "livegate_capture_live_connections", ""); g != 0 {
		t.Errorf("live connections gauge %v; want 0", g)
	}
	st := r.svc.FrameStats()
	if st.FramesDecoded == 0 || st.FramesAnalysed == 0 {
		t.Errorf("frame stats %+v; want frames decoded and analysed", st)
	}
}

func TestRealEngineSessionsAtOnce(t *testing.T) {
	r := newRig(t, rigOptions{engines: realEngines(t)})
	clip, _ := facegenClip(t, "neutral 1s; HEAD_LEFT 30deg 1.5s; neutral 1s", "")
	baseG, baseDec := runtime.NumGoroutine(), vpx.LiveDecoders()
	const n = 4
	var wg sync.WaitGroup
	results := make([]string, n)
	for i := range n {
		s := r.session([]string{"HEAD_LEFT"}, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := r.dial(s.ID)
			if err != nil {
				results[i] = err.Error()
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := client.Run(ctx, p.c, p.msgs, client.RunOptions{Clips: []*client.Clip{clip}})
			if err == nil {
				results[i] = out.Result
			} else {
				results[i] = err.Error()
			}
			p.c.Close()
		}()
	}
	wg.Wait()
	for i, res := range results {
		if res != "success" {
			t.Errorf("session %d: %s; want success", i, res)
		}
	}
	waitFor(t, 15*time.Second, "connections, decoders and goroutines back to baseline", func() bool {
		return r.svc.Live() == 0 && vpx.LiveDecoders() == baseDec && runtime.NumGoroutine() <= baseG
	})
}

func TestConnectionTimeLimit(t *testing.T) {
	r := newRig(t, rigOptions{
		engines: live.EngineFactoryFunc(func() (live.Engine, error) { return &fakeEngine{openAfter: time.Hour}, nil }),
		cfg:     func(c *live.Config) { c.ConnectionLimit = 1500 * time.Millisecond },
	})
	s := r.session([]string{"HEAD_OPEN_MOUTH"}, 3)
	out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{blankClip(t)}})
	if out.Result != "closing:time_limit" {
		t.Fatalf("outcome %q (%v); want closing:time_limit", out.Result, types(out))
	}
	// The attempt it cut short is a dropped connection: after the grace
	// it is counted as lost, the session still PENDING.
	waitFor(t, 10*time.Second, "connection_lost", func() bool {
		for _, e := range r.audit(s.ID) {
			if e.Outcome == "connection_lost" {
				return true
			}
		}
		return false
	})
	if got := r.get(s.ID); got.Status != session.StatusPending || got.AttemptsUsed != 1 {
		t.Errorf("%s with %d used; want PENDING with 1", got.Status, got.AttemptsUsed)
	}
}

func TestHangupEndsTheConnection(t *testing.T) {
	r := newRig(t, rigOptions{engines: live.EngineFactoryFunc(func() (live.Engine, error) { return &fakeEngine{openAfter: time.Hour}, nil })})
	s := r.session([]string{"HEAD_OPEN_MOUTH"}, 3)
	p := r.mustDial(s.ID)
	r.run(p, client.RunOptions{Clips: []*client.Clip{blankClip(t)}, StopAfter: func(m client.Message) bool { return m.Type == "instruction" }})
	if err := r.svc.Hangup(context.Background(), s.ID, "sha256:someone-else"); !errors.Is(err, session.ErrClaimed) {
		t.Errorf("hang-up by another browser: %v; want ErrClaimed", err)
	}
	if err := r.svc.Hangup(context.Background(), s.ID, browser); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "no live connection", func() bool { return r.svc.Live() == 0 })
}
