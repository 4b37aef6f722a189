package capture

import (
	"context"
	"image"
	"sync"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
)

// colourRecorder is a ColourSink and StreamWatcher.
type colourRecorder struct {
	mu      sync.Mutex
	colour  int // FrameColour calls
	grey    int // Frame calls (must stay 0)
	cb, cr  float64
	nums    []int // frame numbers seen by StreamFrame, in order
	rtp     []float64
	arrival []time.Time
}

func (r *colourRecorder) Frame(Frame) {
	r.mu.Lock()
	r.grey++
	r.mu.Unlock()
}

func (r *colourRecorder) FrameColour(f Frame) {
	img := f.Colour
	_ = readNumber(f.Img) // the luma view reads like a grey frame
	var cb, cr int
	for i := range img.Cb {
		cb += int(img.Cb[i])
		cr += int(img.Cr[i])
	}
	r.mu.Lock()
	r.colour++
	r.cb, r.cr = float64(cb)/float64(len(img.Cb)), float64(cr)/float64(len(img.Cr))
	r.mu.Unlock()
}

func (r *colourRecorder) StreamFrame(f *StreamFrame) {
	g := image.Gray{Pix: f.Y, Stride: f.Stride, Rect: image.Rect(0, 0, f.Width, f.Height)}
	n := readNumber(&g)
	r.mu.Lock()
	r.nums = append(r.nums, n)
	r.rtp = append(r.rtp, f.RTP)
	r.arrival = append(r.arrival, f.Arrival)
	r.mu.Unlock()
}

// A ColourSink gets colour frames (the chroma the client sent) and never
// Frame; a StreamWatcher sees every decoded frame in order, with its RTP
// time, even those the analysis's pacing drops.
func TestColourSinkAndStreamWatcher(t *testing.T) {
	a := newTestAPI(t, WithScheduler(NewScheduler(1, 5))) // 5 analyses/s: most frames are skipped
	rec := &colourRecorder{}
	c, p := connect(t, a, rec, client.Options{})
	const n = 30
	if _, err := c.Play(context.Background(), clip(0, n)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "all frames decoded", func() bool { return p.Stats().FramesDecoded == n })
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.grey != 0 || rec.colour == 0 || rec.colour >= n {
		t.Errorf("Frame %d, FrameColour %d calls; want 0 and 1..%d (paced)", rec.grey, rec.colour, n-1)
	}
	// numbered's chroma is neutral grey (128).
	if rec.cb < 126 || rec.cb > 130 || rec.cr < 126 || rec.cr > 130 {
		t.Errorf("mean chroma Cb %.1f Cr %.1f; want ≈ 128", rec.cb, rec.cr)
	}
	if len(rec.nums) != n {
		t.Fatalf("StreamFrame saw %d frames; want every one of %d", len(rec.nums), n)
	}
	for i, num := range rec.nums {
		if num != i {
			t.Fatalf("StreamFrame %d shows frame %d; want in order", i, num)
		}
		// The client stamps 1/30 s per frame.
		if want := float64(i) / 30; rec.rtp[i] < want-1e-3 || rec.rtp[i] > want+1e-3 {
			t.Errorf("frame %d: RTP time %.4f s; want %.4f", i, rec.rtp[i], want)
		}
		if i > 0 && rec.arrival[i].Before(rec.arrival[i-1]) {
			t.Errorf("frame %d arrived before frame %d", i, i-1)
		}
	}
}
