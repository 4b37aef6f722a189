package perception

import (
	"image"
	"math/rand/v2"
	"testing"

	"gocv.io/x/gocv"
)

// TestSampleMatchesOpenCVResize checks that AntiSpoof's own crop-and-resize
// reads the pixels cv2.resize (INTER_LINEAR, upstream's preprocessing) would:
// every blob value within one level of gocv.Resize's output on the same crop,
// for downscaled and upscaled crops. OpenCV's 8-bit resize uses fixed-point
// weights, hence the one level.
func TestSampleMatchesOpenCVResize(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	for y := 0; y < 300; y++ { // smooth areas too, where rounding shows
		for x := 0; x < 100; x++ {
			p := img.PixOffset(x, y)
			img.Pix[p], img.Pix[p+1], img.Pix[p+2] = uint8(x*2), uint8(y), uint8(x+y/2)
		}
	}
	a := &AntiSpoof{}
	blob := make([]float32, 3*spoofInput*spoofInput)
	for _, r := range []image.Rectangle{
		image.Rect(10, 5, 281, 276),    // 271×271 → 80×80
		image.Rect(0, 0, 400, 300),     // 400×300 → 80×80
		image.Rect(50, 60, 90, 90),     // 40×30 → 80×80 (upscaled)
		image.Rect(399, 299, 400, 300), // 1×1
	} {
		a.sample(img, r, blob)
		crop := gocv.NewMatWithSize(r.Dy(), r.Dx(), gocv.MatTypeCV8UC3)
		buf, _ := crop.DataPtrUint8()
		for y := 0; y < r.Dy(); y++ {
			for x := 0; x < r.Dx(); x++ {
				p := img.PixOffset(r.Min.X+x, r.Min.Y+y)
				q := 3 * (y*r.Dx() + x)
				buf[q], buf[q+1], buf[q+2] = img.Pix[p+2], img.Pix[p+1], img.Pix[p]
			}
		}
		out := gocv.NewMat()
		gocv.Resize(crop, &out, image.Pt(spoofInput, spoofInput), 0, 0, gocv.InterpolationLinear)
		want, _ := out.DataPtrUint8()
		worst := 0.0
		for y := range spoofInput {
			for x := range spoofInput {
				for c := range 3 {
					d := float64(blob[c*spoofInput*spoofInput+y*spoofInput+x]) - float64(want[3*(y*spoofInput+x)+c])
					worst = max(worst, d, -d)
				}
			}
		}
		crop.Close()
		out.Close()
		t.Logf("crop %v: worst difference %v", r, worst)
		if worst > 1 {
			t.Errorf("crop %v: blob differs from cv::resize by up to %v levels; want ≤ 1", r, worst)
		}
	}
}
