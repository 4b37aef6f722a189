package capture

import (
	"image"
	"syscall"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/codec/vpx"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLoopbackPeer640x480 replays pre-encoded 640×480 VP8 frames
// through one loopback peer (pion both ends, SRTP, reassembly, libvpx
// decode, mailbox, sink) at one frame per millisecond. It reports the
// process CPU time per frame, client side included.
func BenchmarkLoopbackPeer640x480(b *testing.B) {
	const w, h = 640, 480
	enc, err := vpx.NewEncoder(w, h, 30, 1500)
	if err != nil {
		b.Fatal(err)
	}
	var frames [][]byte
	for i := 0; i < 60; i++ {
		img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		for j := range img.Y {
			x, y := j%w, j/w
			img.Y[j] = uint8((x + y + 4*i) * 255 / (w + h))
		}
		for j := range img.Cb {
			img.Cb[j], img.Cr[j] = 128, 128
		}
		f, _, err := enc.Encode(img, i == 0)
		if err != nil {
			b.Fatal(err)
		}
		frames = append(frames, f)
	}
	enc.Close()

	a := newTestAPI(b)
	c, p := connect(b, a, FrameSinkFunc(func(Frame) {}), client.Options{Width: w, Height: h})
	b.ResetTimer()
	cpu0, t0 := cpuTime(), time.Now()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for i := 0; i < b.N; i++ {
		if err := c.WriteVP8(frames[i%len(frames)]); err != nil {
			b.Fatal(err)
		}
		<-tick.C
	}
	waitFor(b, 30*time.Second, "frames decoded", func() bool { return p.Stats().FramesDecoded >= uint64(b.N) })
	b.StopTimer()
	cpu, wall := cpuTime()-cpu0, time.Since(t0)
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/frame")
	b.ReportMetric(float64(b.N)/wall.Seconds(), "frames/s")
}
