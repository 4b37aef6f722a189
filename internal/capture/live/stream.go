package live

import (
	"sync"
	"time"

	"github.com/livegate/livegate/internal/capture"
	"github.com/livegate/livegate/internal/liveness"
)

// streamCues measures, for one attempt, the cues an injected or virtual
// camera leaves in the stream itself: frame timing (RTP intervals), the RTP
// clock against arrival, size and rate changes, and repeated, looped or
// frozen pictures (16×16 thumbnails of the luma). It is fed every decoded
// frame from the peer's receive goroutine (capture.StreamWatcher), so it
// sees the stream as sent, not as paced for the analysis; per frame it
// costs one thumbnail (a quarter of the luma's pixels read once) and the
// Repeats comparison, and it allocates nothing.
type streamCues struct {
	mu     sync.Mutex
	iv     liveness.Intervals
	drift  liveness.ClockDrift
	rep    liveness.Repeats
	th     [2]liveness.Thumb // this frame's and the last one's
	cur    int               // index of this frame's in th
	t0     time.Time         // capture time of the first frame
	w, h   int
	resize int // resolution changes
	rate   rateWatch
	// The frozen run, measured here rather than by Repeats (see
	// frozenDistance).
	stillSince time.Duration
	frozen     time.Duration
	// peerStart is the peer's counters when the attempt started (see
	// lagged).
	peerStart capture.Stats
}

// lagged reports whether the server itself fell behind during the attempt:
// more than a tenth of the decoded frames dropped for overload. Arrival
// times then carry the server's own lateness, which reads as an RTP clock
// running slow, so the drift is not judged.
func (s *streamCues) lagged(now capture.Stats) bool {
	dec := now.FramesDecoded - s.peerStart.FramesDecoded
	drop := now.FramesDropped - s.peerStart.FramesDropped
	return drop*10 > dec
}

// Thresholds on the distance between 16×16 thumbnails (mean absolute
// difference of the cells, grey levels), measured on VP8-decoded frames at
// 640×480 (real webcam footage of shared/footage and facegen clips):
//   - consecutive frames of a real person holding still: 0.02–0.25, with
//     one over 0.07 every few frames (sensor noise and micro-motion survive
//     the codec); of one picture sent again and again: 0–0.055. A run
//     under frozenDistance for FrozenMin (2 s) is a frozen picture.
//   - consecutive frames of a moving head: over 0.2 (movingDistance); only
//     those can start or extend a loop.
//   - a looped frame against its first showing, after VP8 re-encoding:
//     0.02–0.12 (loopDistance); a live head against any of its frames of
//     the last 17 s: 0.11 at the very least, and 0.5 or more for the
//     moving frames a loop is made of.
//
// Repeats' own defaults (1 grey level) are far above all of these: with
// them every real person holding still for 2 s would be "frozen" and no
// loop of ordinary head motion would be found.
const (
	frozenDistance = 0.07
	movingDistance = 0.2
	loopDistance   = 0.12
)

func newStreamCues() *streamCues {
	return &streamCues{rep: liveness.Repeats{FrozenDistance: movingDistance, LoopDistance: loopDistance}}
}

// add records one decoded frame.
func (s *streamCues) add(f *capture.StreamFrame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	th, prev := &s.th[s.cur], &s.th[1-s.cur]
	th.SetGray(f.Y, f.Width, f.Height, f.Stride)
	t := f.Capture.Sub(s.t0)
	if s.t0.IsZero() {
		s.t0, t = f.Capture, 0
		s.stillSince = 0
	} else {
		if f.Width != s.w || f.Height != s.h {
			s.resize++
		}
		if th.Distance(prev) > frozenDistance {
			s.stillSince = t
		}
		s.frozen = max(s.frozen, t-s.stillSince)
	}
	s.cur = 1 - s.cur
	s.w, s.h = f.Width, f.Height
	s.iv.Add(f.RTP)
	s.drift.Add(f.RTP, float64(f.Arrival.UnixNano())/1e9)
	s.rate.add(f.RTP)
	s.rep.Add(t, th)
}

// evidence returns what was measured.
func (s *streamCues) evidence() (liveness.FrameStats, liveness.StreamStats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.rep.Stats()
	fs.LongestFrozen = s.frozen.Seconds()
	return fs, liveness.StreamStats{
		Intervals:         s.iv.Stats(),
		RTPRate:           s.drift.Rate(),
		ResolutionChanges: s.resize,
		FrameRateChanges:  s.rate.changes,
	}
}

// rateWatch counts frame-rate changes: the frames of each whole second of
// RTP time are counted, and a second whose count differs from the one
// before by more than rateChange (and by at least rateMinFrames frames) is
// a change. A camera's rate wobbles by a frame or two; a switch from 30 to
// 15 fps (a different source, or an injector's pacing) is far beyond.
type rateWatch struct {
	sec     int // the second being counted
	n       int // frames in it
	prev    int // frames of the last whole second; 0 before one
	started bool
	partial bool // the second being counted began mid-way (the first one)
	changes int
}

const (
	rateChange    = 0.4
	rateMinFrames = 4
)

func (r *rateWatch) add(t float64) {
	sec := int(t)
	if !r.started {
		r.started, r.sec, r.partial = true, sec, true
	}
	if sec == r.sec {
		r.n++
		return
	}
	switch {
	case sec == r.sec+1 && r.partial:
		r.partial = false
	case sec == r.sec+1: // a whole second ended; a gap of more is no rate
		if r.prev > 0 {
			d := r.n - r.prev
			if d < 0 {
				d = -d
			}
			if d >= rateMinFrames && float64(d) > rateChange*float64(r.prev) {
				r.changes++
			}
		}
		r.prev = r.n
	default:
		r.prev = 0
	}
	r.sec, r.n = sec, 1
}
