package live_test

import (
	"context"
	"image"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livegate/livegate/internal/capture"
	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/capture/live"
	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/perception"
	"github.com/livegate/livegate/internal/perception/footage"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
)

const browser = "sha256:browser-under-test"

// rig is a Service on loopback with an in-memory store.
type rig struct {
	t     *testing.T
	store *memstore.Store
	api   *capture.API
	svc   *live.Service
	reg   *prometheus.Registry
}

type rigOptions struct {
	engines live.EngineFactory
	cfg     func(*live.Config)
}

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	store := memstore.New()
	t.Cleanup(func() { store.Close() })
	api, err := capture.NewAPI(capture.NewConfig(capture.WithLoopback(true), capture.WithoutMDNS(),
		capture.WithScheduler(capture.NewScheduler(runtime.GOMAXPROCS(0), 15))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	if o.engines == nil {
		o.engines = fakeEngines()
	}
	reg := prometheus.NewRegistry()
	cfg := live.Config{
		Store: store, API: api, Engines: o.engines, Registerer: reg,
		// The clips play at their own pace: these tests measure gesture
		// detection, not reaction (paced_test.go runs the pacing).
		Challenge:    gesture.ChallengeConfig{GestureTimeout: 4 * time.Second, Unpaced: true},
		PollInterval: 50 * time.Millisecond,
		Grace:        300 * time.Millisecond,
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	svc, err := live.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, store: store, api: api, svc: svc, reg: reg}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := svc.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return r
}

// session creates a PENDING session claimed by browser.
func (r *rig) session(gestures []string, attempts int) *session.Session {
	r.t.Helper()
	s, err := session.New(session.Params{
		Kind: session.KindActive, Owner: "k", SuccessURL: "https://shop.example/done?order=7",
		CancelURL: "https://shop.example/back", Gestures: gestures, MaxAttempts: attempts,
	}, time.Now())
	if err != nil {
		r.t.Fatal(err)
	}
	if err := s.Claim(browser, time.Now()); err != nil {
		r.t.Fatal(err)
	}
	if err := r.store.Create(context.Background(), s); err != nil {
		r.t.Fatal(err)
	}
	return s
}

func (r *rig) get(sid string) *session.Session {
	r.t.Helper()
	s, err := r.store.Get(context.Background(), sid)
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

func (r *rig) audit(sid string) []session.AuditEntry {
	r.t.Helper()
	a, err := r.store.Audit(context.Background(), sid)
	if err != nil {
		r.t.Fatal(err)
	}
	return a
}

// peer is a test client connected to a session.
type peer struct {
	c    *client.Client
	msgs <-chan []byte
}

// dial connects a client to sid through Service.Offer.
func (r *rig) dial(sid string) (*peer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	msgs, on := client.Messages(256)
	c, err := client.Dial(ctx, client.Options{Width: 320, Height: 240, FPS: 15, IncludeLoopback: true, OnMessage: on},
		func(ctx context.Context, offer string) (string, error) {
			return r.svc.Offer(ctx, live.OfferRequest{SID: sid, Browser: browser, SDP: offer, ClientIP: "192.0.2.7", UserAgent: "test-agent"})
		})
	if err != nil {
		return nil, err
	}
	r.t.Cleanup(func() { c.Close() })
	return &peer{c: c, msgs: msgs}, nil
}

func (r *rig) mustDial(sid string) *peer {
	r.t.Helper()
	p, err := r.dial(sid)
	if err != nil {
		r.t.Fatalf("dial: %v", err)
	}
	return p
}

func (r *rig) run(p *peer, opts client.RunOptions) *client.Outcome {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := client.Run(ctx, p.c, p.msgs, opts)
	if err != nil {
		r.t.Fatalf("run: %v (messages %+v)", err, out.Messages)
	}
	return out
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func types(out *client.Outcome) []string {
	var ts []string
	for _, m := range out.Messages {
		ts = append(ts, m.Type)
	}
	return ts
}

func has(out *client.Outcome, typ string) bool {
	for _, m := range out.Messages {
		if m.Type == typ {
			return true
		}
	}
	return false
}

// fakeEngine sees a frontal, neutral face that opens its mouth wide from
// openAfter (frame time since the attempt's first frame) on: enough for a
// real Challenge asking HEAD_OPEN_MOUTH, at no image cost.
type fakeEngine struct {
	openAfter time.Duration
	t0        time.Time
}

func (f *fakeEngine) Reset() { f.t0 = time.Time{} }

func (f *fakeEngine) Process(img *image.Gray, t time.Time) gesture.Observation {
	if f.t0.IsZero() {
		f.t0 = t
	}
	o := gesture.Observation{
		T: t, Width: img.Rect.Dx(), Height: img.Rect.Dy(), Faces: 1, Track: 1,
		Box:     image.Rect(100, 60, 220, 200),
		EyeLeft: 0.3, EyeRight: 0.3, Mouth: 0.05,
		Quality: gesture.Quality{FaceWidth: 0.4, Brightness: 120, Sharpness: 20, LineRatio: 1.2},
	}
	if t.Sub(f.t0) >= f.openAfter {
		o.Mouth = 0.6
	}
	return o
}

func fakeEngines() live.EngineFactory {
	return live.EngineFactoryFunc(func() (live.Engine, error) { return &fakeEngine{openAfter: 700 * time.Millisecond}, nil })
}

var (
	blankOnce sync.Once
	blank     *client.Clip
	blankErr  error
)

// blankClip is one second of a plain grey 320×240 picture (the fake
// engine does not look at it).
func blankClip(t testing.TB) *client.Clip {
	t.Helper()
	blankOnce.Do(func() {
		img := image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420)
		for i := range img.Y {
			img.Y[i] = uint8(100 + i%7)
		}
		for i := range img.Cb {
			img.Cb[i], img.Cr[i] = 128, 128
		}
		blank, blankErr = client.EncodeClip([]*image.YCbCr{img}, 15, 14)
	})
	if blankErr != nil {
		t.Fatal(blankErr)
	}
	return blank
}

var (
	factoryOnce sync.Once
	factory     *perception.Models
	factoryErr  error
)

// realEngines is the production engine factory (YuNet + dlib model),
// shared by the tests of the package. A missing model fails the test.
func realEngines(t testing.TB) live.EngineFactory {
	t.Helper()
	factoryOnce.Do(func() {
		factory, factoryErr = perception.Load(perception.Config{Detectors: runtime.GOMAXPROCS(0)})
	})
	if factoryErr != nil {
		t.Fatalf("real engine: %v", factoryErr)
	}
	return live.EngineFactoryFunc(func() (live.Engine, error) {
		e, err := factory.NewEngine()
		if err != nil {
			return nil, err
		}
		return e, nil
	})
}

var clipCache sync.Map // params → *client.Clip

// facegenClip renders (once, cached on disk by facegen) a 640×480 clip of
// the default face doing script and encodes it.
func facegenClip(t testing.TB, script, attack string) (*client.Clip, *facegen.Truth) {
	t.Helper()
	face, err := facegen.TestFace("")
	if err != nil {
		t.Fatal(err)
	}
	p := facegen.Params{Face: face, Script: script, Width: 640, Height: 480, FPS: 15, Attack: attack, Seed: 3, NoBlinks: true}
	cc, err := facegen.Cached("", p, footage.Landmarks)
	if err != nil {
		t.Fatalf("facegen: %v", err)
	}
	truth, err := facegen.ReadTruth(cc.Truth)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := clipCache.Load(cc.Video); ok {
		return v.(*client.Clip), truth
	}
	frames, _, err := facegen.ReadY4M(cc.Video)
	if err != nil {
		t.Fatal(err)
	}
	clip, err := client.EncodeClip(frames, 15, 15*6)
	if err != nil {
		t.Fatal(err)
	}
	clipCache.Store(cc.Video, clip)
	return clip, truth
}

// metric returns the value of the sample of name with a label of value
// label ("" for an unlabelled metric), 0 when absent.
func metric(t *testing.T, r *rig, name, label string) float64 {
	t.Helper()
	mfs, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := label == ""
			for _, l := range m.GetLabel() {
				match = match || l.GetValue() == label
			}
			if !match {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			}
		}
	}
	return 0
}
