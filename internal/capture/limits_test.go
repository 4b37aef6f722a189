package capture

import (
	"context"
	"image"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
)

func TestGlobalSemaphoreAcrossPeers(t *testing.T) {
	a := newTestAPI(t, WithScheduler(NewScheduler(1, 0)))
	var inFlight, maxInFlight, calls atomic.Int32
	sink := FrameSinkFunc(func(Frame) {
		n := inFlight.Add(1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		calls.Add(1)
		time.Sleep(3 * time.Millisecond)
		inFlight.Add(-1)
	})
	var clients []*client.Client
	for range 3 {
		c, _ := connect(t, a, sink, client.Options{Interval: 4 * time.Millisecond})
		clients = append(clients, c)
	}
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Play(context.Background(), clip(0, 20)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	waitFor(t, 5*time.Second, "analyses", func() bool { return calls.Load() >= 6 })
	if m := maxInFlight.Load(); m != 1 {
		t.Errorf("%d analyses ran at once with a semaphore of 1", m)
	}
}

func TestBlockedSinkMemoryBounded(t *testing.T) {
	a := newTestAPI(t)
	gate := make(chan struct{})
	entered := make(chan struct{}, 1)
	sink := FrameSinkFunc(func(Frame) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-gate
	})
	const w, h = 640, 480
	c, p := connect(t, a, sink, client.Options{Width: w, Height: h})
	frames := make([]*image.YCbCr, 8)
	for i := range frames {
		frames[i] = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		for j := range frames[i].Y {
			frames[i].Y[j] = uint8(j/w + 10*i)
		}
	}
	n := 0
	src := client.SourceFunc(func() (*image.YCbCr, error) {
		if n == 150 {
			return nil, errEOF
		}
		n++
		return frames[n%len(frames)], nil
	})
	if _, err := c.Play(context.Background(), client.SourceFunc(func() (*image.YCbCr, error) {
		if n == 10 {
			return nil, errEOF
		}
		n++
		return frames[n%len(frames)], nil
	})); err != nil {
		t.Fatal(err)
	}
	<-entered
	waitFor(t, 5*time.Second, "warm-up frames decoded", func() bool { return p.Stats().FramesDecoded == 10 })
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := c.Play(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "frames decoded while blocked", func() bool { return p.Stats().FramesDecoded == 150 })
	runtime.GC()
	runtime.ReadMemStats(&after)
	// 140 frames queued would hold 140 × 300 KB = 42 MB.
	grow := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap grew by %d KB over %d frames decoded while the sink was blocked (dropped %d)", grow>>10, p.Stats().FramesDecoded, p.Stats().FramesDropped)
	if grow > 8<<20 {
		t.Errorf("heap grew by %d KB while the sink was blocked", grow>>10)
	}
	close(gate)
}
