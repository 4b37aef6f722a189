package live

import (
	"testing"

	"github.com/livegate/livegate/internal/perception"
)

// BenchmarkJPEGEncoders compares, on one 480×360 evidence frame at
// quality 85, the standard library's encoder (StdJPEG) with OpenCV's
// libjpeg (perception.EncodeJPEG: an I420 copy, the colour conversion and
// the encode), which the server uses.
func BenchmarkJPEGEncoders(b *testing.B) {
	frames := benchFrames(b)
	img, _ := scaleYCbCr(frames[len(frames)/2], imageMaxSide)
	for _, e := range []struct {
		name string
		enc  JPEGEncoder
	}{{"image-jpeg", StdJPEG}, {"gocv", perception.EncodeJPEG}} {
		b.Run(e.name, func(b *testing.B) {
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = e.enc(buf[:0], img, imageQuality); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(buf))/1024, "KiB")
		})
	}
}
