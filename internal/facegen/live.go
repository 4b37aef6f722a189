package facegen

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// liveSpan is how long the natural motion of a live renderer is planned
// ahead (the longest script ParseScript takes); later times wrap round.
const liveSpan = 600 * time.Second

// Live renders frames on demand, one State at a time, for a client that
// decides what the head does as it goes (the reactive test client). A frame
// is made as a clip's frame is: the head's natural sway and (unless
// Params.NoBlinks) natural blinks are added to the asked state, then the
// clip's lighting and sensor noise. Params.Script is not used; motion blur
// (Params.Blur) and the attacks are not offered live.
//
// A Live keeps scratch buffers and the last frame: use one per goroutine.
type Live struct {
	s     *scene
	rd    renderer
	rgb   *rgbImage
	yuv   *YUVFrame
	frame int
}

// NewLive prepares the live rendering of p's photo.
func (r *Renderer) NewLive(p Params) (*Live, error) {
	p = p.Defaults()
	switch {
	case p.Attack != AttackNone:
		return nil, errors.New("facegen: live rendering draws a live face only (attack none)")
	case p.Blur:
		return nil, errors.New("facegen: live rendering has no motion blur")
	}
	// The scene is prepared from a script of neutral face: the timeline
	// then holds the sway and the natural blinks, and nothing scripted.
	p.Script = fmt.Sprintf("neutral %gs", liveSpan.Seconds())
	s, err := r.prepare(p)
	if err != nil {
		return nil, err
	}
	return &Live{s: s, rgb: newRGB(p.Width, p.Height), yuv: NewYUVFrame(p.Width, p.Height)}, nil
}

// Size is the frame size.
func (l *Live) Size() (w, h int) { return l.s.p.Width, l.s.p.Height }

// FPS is the frame rate of the parameters (the rate a sender should keep).
func (l *Live) FPS() int { return l.s.p.FPS }

// Micro returns st with the natural motion at time t added: the sway, and
// the natural blinks, which close the eyes from wherever st has them.
func (l *Live) Micro(t time.Duration, st State) State {
	sec := math.Mod(t.Seconds(), liveSpan.Seconds())
	if sec < 0 {
		sec += liveSpan.Seconds()
	}
	return l.s.tl.micro(sec, st)
}

// Frame renders the head in state st at time t (natural motion added, see
// Micro) and returns the frame. The frame is reused by the next call.
func (l *Live) Frame(t time.Duration, st State) *YUVFrame {
	st = l.Micro(t, st)
	_, box := l.s.live(&l.rd, st, l.frame, l.rgb)
	l.s.light(l.rgb, box)
	toYUV(l.rgb, l.yuv, l.s.p.Noise, l.s.p.Seed, l.frame)
	l.frame++
	return l.yuv
}
