package live

import (
	"image"
	"math"
	"slices"
	"time"

	"github.com/livegate/livegate/internal/gesture"
)

// The anti-spoofing model runs on a few frames per attempt, never on the
// per-frame path: the analysis goroutine only rates each frame (a handful
// of float operations) and copies the few that make the running top K; the
// model scores those copies once the attempt has ended, on the control
// goroutine (see conn.ended).

// Sampling defaults: K frames at least this far apart (two views a few
// tenths of a second apart are not the same evidence twice), of a face no
// more turned than this.
const (
	defaultSamples   = 4
	sampleSpacing    = 300 * time.Millisecond
	sampleMaxAngle   = 15.0 // degrees of yaw or pitch
	sampleMinWidth   = 0.12 // face width over frame width
	sampleMinSharp   = 4.0  // gesture.Quality.Sharpness
	sampleImproveBy  = 1.15 // a kept frame is replaced only by a clearly better one
	sampleSharpScale = 20.0 // sharpness from which more does not count
)

// sample is one kept frame: an owned copy of the colour frame and what the
// engine saw in it.
type sample struct {
	img       image.YCbCr
	box       image.Rectangle
	t         time.Time
	quality   float64
	lineRatio float64
}

// sampler keeps the K best frontal frames of one attempt, spaced by
// sampleSpacing. It is used by one goroutine at a time (the analysis
// goroutine while the attempt runs, then the control goroutine).
type sampler struct {
	k     int
	kept  []*sample
	spare []*sample // buffers of replaced samples, reused
	// copies counts the frames copied (a measure of the per-frame cost).
	copies int
	// ev keeps the evidence images' frames (images.go).
	ev evidenceFrames
}

func newSampler(k int) *sampler {
	if k <= 0 {
		k = defaultSamples
	}
	return &sampler{k: k}
}

// frameQuality rates o for the model: 0 when the frame is unusable (no
// single tracked face, turned, small, blurred or cut by the frame's edge),
// else bigger for a bigger, sharper and more frontal face.
func frameQuality(o *gesture.Observation) float64 {
	q := o.Quality
	if o.Faces != 1 || o.Track == 0 || q.Outside || o.Box.Empty() ||
		math.Abs(o.Yaw) > sampleMaxAngle || math.Abs(o.Pitch) > sampleMaxAngle ||
		q.FaceWidth < sampleMinWidth || q.Sharpness < sampleMinSharp {
		return 0
	}
	frontal := (1 - math.Abs(o.Yaw)/(2*sampleMaxAngle)) * (1 - math.Abs(o.Pitch)/(2*sampleMaxAngle))
	return q.FaceWidth * min(q.Sharpness, sampleSharpScale) / sampleSharpScale * frontal
}

// offer considers the frame img (the peer's, valid during the call) seen
// as o, and copies it when it enters the top K.
func (s *sampler) offer(img *image.YCbCr, o *gesture.Observation) {
	if img != nil {
		s.ev.offer(img, o)
	}
	q := frameQuality(o)
	if q == 0 || img == nil {
		return
	}
	// The kept frames too close in time to this one: it must beat all of
	// them, and replaces them.
	var near []int
	for i, k := range s.kept {
		d := o.T.Sub(k.t)
		if d < sampleSpacing && d > -sampleSpacing {
			if q < k.quality*sampleImproveBy {
				return
			}
			near = append(near, i)
		}
	}
	if len(near) == 0 && len(s.kept) >= s.k {
		worst := 0
		for i, k := range s.kept {
			if k.quality < s.kept[worst].quality {
				worst = i
			}
		}
		if q < s.kept[worst].quality*sampleImproveBy {
			return
		}
		near = append(near, worst)
	}
	for j := len(near) - 1; j >= 0; j-- {
		s.spare = append(s.spare, s.kept[near[j]])
		s.kept = slices.Delete(s.kept, near[j], near[j]+1)
	}
	var smp *sample
	if n := len(s.spare); n > 0 {
		smp, s.spare = s.spare[n-1], s.spare[:n-1]
	} else {
		smp = &sample{}
	}
	copyYCbCr(&smp.img, img)
	smp.box, smp.t, smp.quality, smp.lineRatio = o.Box, o.T, q, o.Quality.LineRatio
	s.kept = append(s.kept, smp)
	s.copies++
}

// samples returns the kept frames in time order.
func (s *sampler) samples() []*sample {
	out := slices.Clone(s.kept)
	slices.SortFunc(out, func(a, b *sample) int { return a.t.Compare(b.t) })
	return out
}

// copyYCbCr makes dst a copy of src, reusing dst's buffers.
func copyYCbCr(dst, src *image.YCbCr) {
	dst.Y = append(dst.Y[:0], src.Y...)
	dst.Cb = append(dst.Cb[:0], src.Cb...)
	dst.Cr = append(dst.Cr[:0], src.Cr...)
	dst.YStride, dst.CStride = src.YStride, src.CStride
	dst.SubsampleRatio, dst.Rect = src.SubsampleRatio, src.Rect
}
