package capture

import (
	"context"
	"image"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/codec/vpx"
)

const (
	testW, testH = 320, 240
	bits         = 8 // frame number bits drawn as blocks
)

// numbered draws frame n: the top half shows n's bits as 8 big blocks
// (bright = 1), the bottom half a gradient moving with n.
func numbered(n int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, testW, testH), image.YCbCrSubsampleRatio420)
	bw := testW / bits
	for y := 0; y < testH; y++ {
		for x := 0; x < testW; x++ {
			var v uint8
			if y < testH/2 {
				v = 30
				if n>>(x/bw)&1 == 1 {
					v = 220
				}
			} else {
				v = uint8(40 + (x+3*n)%160)
			}
			img.Y[y*img.YStride+x] = v
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	return img
}

// readNumber reads the frame number back from a decoded frame.
func readNumber(g *image.Gray) int {
	bw := g.Rect.Dx() / bits
	n := 0
	for b := 0; b < bits; b++ {
		sum := 0
		for y := g.Rect.Dy() / 8; y < 3*g.Rect.Dy()/8; y++ {
			for x := b*bw + bw/4; x < b*bw+3*bw/4; x++ {
				sum += int(g.Pix[y*g.Stride+x])
			}
		}
		if sum/((g.Rect.Dy()/4)*(bw/2)) > 125 {
			n |= 1 << b
		}
	}
	return n
}

func psnr(want *image.YCbCr, got *image.Gray) float64 {
	var se float64
	for y := 0; y < testH; y++ {
		for x := 0; x < testW; x++ {
			d := float64(want.Y[y*want.YStride+x]) - float64(got.Pix[y*got.Stride+x])
			se += d * d
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(testW*testH)))
}

// clip is a Source of frames first..first+n-1.
func clip(first, n int) client.Source {
	i := first
	return client.SourceFunc(func() (*image.YCbCr, error) {
		if i >= first+n {
			return nil, errEOF
		}
		i++
		return numbered(i - 1), nil
	})
}

func newTestAPI(t testing.TB, opts ...Option) *API {
	t.Helper()
	base := []Option{WithLoopback(true), WithoutMDNS(), WithScheduler(NewScheduler(runtime.GOMAXPROCS(0), 0))}
	a, err := NewAPI(NewConfig(append(base, opts...)...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// connect dials a loopback client to a and waits until both ends are
// connected and the data channel is open.
func connect(t testing.TB, a *API, sink FrameSink, copts client.Options, aopts ...AcceptOption) (*client.Client, *Peer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if copts.Width == 0 {
		copts.Width, copts.Height = testW, testH
	}
	if copts.Interval == 0 {
		copts.Interval = 2 * time.Millisecond
	}
	copts.IncludeLoopback = true
	var peer *Peer
	c, err := client.Dial(ctx, copts, func(ctx context.Context, offer string) (string, error) {
		answer, p, err := a.Accept(ctx, offer, sink, aopts...)
		peer = p
		return answer, err
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() {
		c.Close()
		peer.Close(nil)
		<-peer.Done()
	})
	for _, ch := range []<-chan struct{}{c.Connected(), peer.Connected()} {
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("not connected: %v", ctx.Err())
		}
	}
	if !copts.NoDataChannel {
		for _, ch := range []<-chan struct{}{c.ChannelOpen(), peer.ChannelOpen()} {
			select {
			case <-ch:
			case <-ctx.Done():
				t.Fatalf("data channel not open: %v", ctx.Err())
			}
		}
	}
	return c, peer
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recorder is a FrameSink that checks and records what it gets.
type recorder struct {
	mu     sync.Mutex
	nums   []int
	times  []time.Time
	arrive []time.Time
	minDB  float64
	delay  time.Duration
	gate   chan struct{} // when not nil, Frame blocks until it is closed
	inside chan struct{} // signalled when Frame is entered
}

func (r *recorder) Frame(f Frame) {
	img, t := f.Img, f.T
	if r.inside != nil {
		select {
		case r.inside <- struct{}{}:
		default:
		}
	}
	if r.gate != nil {
		<-r.gate
	}
	n := readNumber(img)
	db := psnr(cachedNumbered(n), img)
	r.mu.Lock()
	r.nums = append(r.nums, n)
	r.times = append(r.times, t)
	r.arrive = append(r.arrive, f.Arrival)
	if len(r.nums) == 1 || db < r.minDB {
		r.minDB = db
	}
	r.mu.Unlock()
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
}

func (r *recorder) snapshot() ([]int, []time.Time, float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.nums...), append([]time.Time(nil), r.times...), r.minDB
}

func (r *recorder) arrivals() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.arrive...)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.nums)
}

var _ FrameSink = (*recorder)(nil)

func liveDecoders() int64 { return vpx.LiveDecoders() }

var frameCache sync.Map // int → *image.YCbCr

// cachedNumbered is numbered(n), drawn once: sinks stay cheap.
func cachedNumbered(n int) *image.YCbCr {
	if v, ok := frameCache.Load(n); ok {
		return v.(*image.YCbCr)
	}
	img := numbered(n)
	frameCache.Store(n, img)
	return img
}
