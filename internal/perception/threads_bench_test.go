package perception_test

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/perception"
)

// processCPU is the process's user and system CPU time so far.
func processCPU(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDetectConcurrent runs YuNet on 640×480 frames from as many
// goroutines as GOMAXPROCS, each with its own detector (as live sessions
// do), with OpenCV's default thread pool and with OpenCV single-threaded.
// Besides time/op it reports cpu-ns/op, the process's CPU time per
// detection: what a loaded server pays, threads' spinning and hand-offs
// included, whatever else shares the machine.
func BenchmarkDetectConcurrent(b *testing.B) {
	img := frame(b, 640, 480)
	for _, tc := range []struct {
		name    string
		threads int
	}{{"opencv-threads-default", -1}, {"opencv-threads-1", 1}} {
		b.Run(tc.name, func(b *testing.B) {
			prev := perception.OpenCVThreads()
			perception.SetOpenCVThreads(tc.threads)
			defer perception.SetOpenCVThreads(prev)
			// RunParallel starts GOMAXPROCS goroutines; each takes a detector.
			dets := make(chan *perception.Detector, runtime.GOMAXPROCS(0))
			for range cap(dets) {
				dets <- newDetector(b)
			}
			cpu0 := processCPU(b)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				d := <-dets
				defer func() { dets <- d }()
				var faces []gesture.Face
				for pb.Next() {
					faces, _ = d.DetectFaces(img, faces[:0])
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkDetectInputWidth runs YuNet on a 480×360 frame downscaled to
// its default input width (320) and to 240, with the CPU time per
// detection (cpu-ns/op).
func BenchmarkDetectInputWidth(b *testing.B) {
	img := frame(b, 480, 360)
	for _, w := range []int{320, 240} {
		b.Run(fmt.Sprintf("%d", w), func(b *testing.B) {
			d := newDetector(b, perception.WithMaxInputWidth(w))
			faces, err := d.DetectFaces(img, nil)
			if err != nil || len(faces) != 1 {
				b.Fatalf("%d faces, err %v", len(faces), err)
			}
			b.ReportAllocs()
			cpu0 := processCPU(b)
			for b.Loop() {
				faces, _ = d.DetectFaces(img, faces[:0])
			}
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
