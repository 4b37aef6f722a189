package liveness

import (
	"math"
	"math/bits"
	"time"
)

// IntervalStats are the statistics of the intervals between frames, in
// seconds.
type IntervalStats struct {
	N      int     `json:"n"`
	Mean   float64 `json:"mean"`
	StdDev float64 `json:"std_dev"`
}

// Intervals accumulates frame intervals from frame times (Welford's method,
// so it keeps no history and allocates nothing). Feed it RTP timestamps where
// the transport has them: they carry the sender's capture clock, which is
// where a camera's jitter and an injector's exact pacing show; arrival times
// add the network's jitter on top. The zero value is ready to use.
type Intervals struct {
	n        int
	last     float64
	started  bool
	mean, m2 float64
}

// Add records a frame at t seconds. Times that do not move forward (a
// duplicate timestamp, a reordered packet) are skipped: they are not
// intervals of a capture clock.
func (iv *Intervals) Add(t float64) {
	if !iv.started {
		iv.started, iv.last = true, t
		return
	}
	d := t - iv.last
	if d <= 0 {
		return
	}
	iv.last = t
	iv.n++
	delta := d - iv.mean
	iv.mean += delta / float64(iv.n)
	iv.m2 += delta * (d - iv.mean)
}

// Stats returns what was seen so far.
func (iv *Intervals) Stats() IntervalStats {
	s := IntervalStats{N: iv.n, Mean: iv.mean}
	if iv.n > 1 {
		s.StdDev = math.Sqrt(iv.m2 / float64(iv.n-1))
	}
	return s
}

// ClockDrift measures the rate of a stream's RTP clock against the arrival
// clock by a least-squares line through (arrival, rtp) pairs. A camera
// captures in real time, so the rate is 1 within network jitter; a file
// pushed faster or slower than it was recorded drifts. The zero value is
// ready to use; it allocates nothing.
type ClockDrift struct {
	n                int
	x0, y0           float64
	sx, sy, sxx, sxy float64
	minX, maxX       float64
	MinPairs         int     // pairs needed for Rate (default 30)
	MinSpan          float64 // arrival span needed, seconds (default 2)
}

// Add records a frame whose RTP timestamp (already unwrapped and divided by
// the clock rate) is rtp seconds and which arrived at arrival seconds.
func (c *ClockDrift) Add(rtp, arrival float64) {
	if c.n == 0 {
		// Centre on the first pair so the sums stay small and exact enough.
		c.x0, c.y0 = arrival, rtp
		c.minX, c.maxX = 0, 0
	}
	x, y := arrival-c.x0, rtp-c.y0
	c.n++
	c.sx += x
	c.sy += y
	c.sxx += x * x
	c.sxy += x * y
	c.minX, c.maxX = min(c.minX, x), max(c.maxX, x)
}

// Rate returns the RTP clock's rate against arrival time, or 0 while there
// are too few pairs or too short a span to tell.
func (c *ClockDrift) Rate() float64 {
	minPairs, minSpan := c.MinPairs, c.MinSpan
	if minPairs == 0 {
		minPairs = 30
	}
	if minSpan == 0 {
		minSpan = 2
	}
	if c.n < minPairs || c.maxX-c.minX < minSpan {
		return 0
	}
	n := float64(c.n)
	den := n*c.sxx - c.sx*c.sx
	if den == 0 {
		return 0
	}
	return (n*c.sxy - c.sx*c.sy) / den
}

// ThumbSize is the side of a Thumb.
const ThumbSize = 16

// Thumb is a frame's signature: the mean grey level of each cell of a 16×16
// grid over the whole frame. Small enough to keep a few hundred per stream,
// fine enough that two captures of a moving scene differ.
type Thumb struct {
	Pix  [ThumbSize * ThumbSize]uint8
	Hash uint64 // one bit per 2×2 cells: brighter than the frame's mean
}

// SetGray fills th from a grey (luma) plane of w×h pixels with the given
// stride (a *image.Gray's Pix, or a YCbCr's Y plane). It reads every other
// pixel of every other row: a cell of a 640×480 frame still averages 300
// samples, at a quarter of the cost. It allocates nothing.
func (th *Thumb) SetGray(pix []byte, w, h, stride int) {
	var sum [ThumbSize * ThumbSize]uint32
	var cnt [ThumbSize * ThumbSize]uint32
	if w <= 0 || h <= 0 {
		*th = Thumb{}
		return
	}
	// Cell bounds are computed per cell, not per pixel: a division per
	// pixel was most of the cost.
	var x0 [ThumbSize + 1]int
	for c := range x0 {
		x0[c] = c * w / ThumbSize
	}
	for y := 0; y < h; y += 2 {
		row := pix[y*stride : y*stride+w]
		cy := y * ThumbSize / h * ThumbSize
		for c := range ThumbSize {
			var s, n uint32
			// Start on an even column so every cell samples the same grid.
			for x := x0[c] + x0[c]&1; x < x0[c+1]; x += 2 {
				s += uint32(row[x])
				n++
			}
			sum[cy+c] += s
			cnt[cy+c] += n
		}
	}
	var total uint32
	for i := range sum {
		if cnt[i] > 0 {
			th.Pix[i] = uint8((sum[i] + cnt[i]/2) / cnt[i])
		} else {
			th.Pix[i] = 0
		}
		total += uint32(th.Pix[i])
	}
	th.hash(total)
}

func (th *Thumb) hash(total uint32) {
	mean := total / (ThumbSize * ThumbSize / 4) // compared with 2×2 sums, so ×4 of the mean
	var h uint64
	for by := range ThumbSize / 2 {
		for bx := range ThumbSize / 2 {
			i := 2*by*ThumbSize + 2*bx
			s := uint32(th.Pix[i]) + uint32(th.Pix[i+1]) + uint32(th.Pix[i+ThumbSize]) + uint32(th.Pix[i+ThumbSize+1])
			h <<= 1
			if s > mean {
				h |= 1
			}
		}
	}
	th.Hash = h
}

// Distance is the mean absolute difference of a and b's cells, in grey
// levels: 0 for the same frame, under 1 for two captures of a still scene.
func (a *Thumb) Distance(b *Thumb) float64 {
	var s int
	for i := range a.Pix {
		d := int(a.Pix[i]) - int(b.Pix[i])
		if d < 0 {
			d = -d
		}
		s += d
	}
	return float64(s) / float64(len(a.Pix))
}

// FrameStats is what Repeats saw.
type FrameStats struct {
	Frames       int `json:"frames"`
	ExactRepeats int `json:"exact_repeats"` // frames equal to the one before
	Loops        int `json:"loops"`         // runs of moving frames repeating an earlier run
	// LongestFrozen is the longest run of unchanging frames, in seconds.
	LongestFrozen float64 `json:"longest_frozen"`
}

// repeatsWindow is how many past frames Repeats compares with: 256 frames
// is 17 s at 15 fps, longer than a session's attempt, so a clip looped
// within an attempt is found.
const repeatsWindow = 256

// Repeats finds exact repeats, loops and frozen runs in a stream of Thumbs.
//
// A loop is LoopRun (default 5) consecutive moving frames, each equal within
// LoopDistance (default 1 grey level) to the frame the same lag earlier, for
// a lag of at least 8 frames. Only moving frames count (frames that differ
// from the one before by more than FrozenDistance): a still scene matches
// itself at every lag and is a frozen run, not a loop. A live head never
// retraces a motion to within a grey level for five frames, and a phone
// replay seen through a camera is re-captured with new noise, so a loop this
// exact is pixels that never went through a sensor: injection.
//
// Each Add costs a 64-bit Hamming test per remembered frame and a 256-byte
// comparison only where the hashes nearly agree; it allocates nothing.
type Repeats struct {
	LoopRun        int     // default 5
	LoopDistance   float64 // default 1
	FrozenDistance float64 // default 1

	ring     [repeatsWindow]Thumb
	moving   [repeatsWindow]bool
	run      [repeatsWindow]int // matching moving frames in a row, per lag
	n        int                // frames added
	cooldown int                // frames before another loop may be counted
	frozenAt time.Duration
	stats    FrameStats
}

const (
	minLoopLag  = 8
	hashSlack   = 10 // Hamming distance under which the cells are compared
	defaultRun  = 5
	defaultDist = 1.0
)

// Add records the frame at t whose signature is th.
func (r *Repeats) Add(t time.Duration, th *Thumb) {
	loopRun, loopDist, frozenDist := r.LoopRun, r.LoopDistance, r.FrozenDistance
	if loopRun == 0 {
		loopRun = defaultRun
	}
	if loopDist == 0 {
		loopDist = defaultDist
	}
	if frozenDist == 0 {
		frozenDist = defaultDist
	}
	r.stats.Frames++
	moving := true
	if r.n > 0 {
		prev := &r.ring[(r.n-1)%repeatsWindow]
		d := th.Distance(prev)
		if d == 0 {
			r.stats.ExactRepeats++
		}
		if d <= frozenDist {
			moving = false
			r.stats.LongestFrozen = max(r.stats.LongestFrozen, (t - r.frozenAt).Seconds())
		} else {
			r.frozenAt = t
		}
	} else {
		r.frozenAt = t
	}

	if moving {
		if r.cooldown > 0 {
			r.cooldown--
		}
		for lag := minLoopLag; lag <= min(r.n, repeatsWindow-1); lag++ {
			j := (r.n - lag) % repeatsWindow
			if !r.moving[j] {
				continue // a still old frame neither extends nor breaks a run
			}
			old := &r.ring[j]
			if bits.OnesCount64(old.Hash^th.Hash) <= hashSlack && th.Distance(old) <= loopDist {
				r.run[lag]++
				if r.run[lag] >= loopRun && r.cooldown == 0 {
					r.stats.Loops++
					r.cooldown = lag // one loop counted once per period
				}
			} else {
				r.run[lag] = 0
			}
		}
	}
	i := r.n % repeatsWindow
	r.ring[i] = *th
	r.moving[i] = moving
	r.n++
}

// Stats returns what was seen so far.
func (r *Repeats) Stats() FrameStats { return r.stats }
