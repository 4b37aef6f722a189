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
		a.sample(img, r, blob, false)
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

// TestSampleVideoMatchesOpenCV checks that a decoded video frame (4:2:0,
// BT.601 studio range, as VP8 and y4m carry it) reaches the model as
// upstream's cv2 would have it: OpenCV's own YUV-to-BGR conversion, then
// cv::resize. Within two levels (OpenCV converts and resizes in fixed
// point). Read as a JPEG's full range, as the live path once read it, the
// same blob is many levels off: black at 16 and flattened colours.
func TestSampleVideoMatchesOpenCV(t *testing.T) {
	const w, h = 320, 240
	rng := rand.New(rand.NewPCG(3, 4))
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(16 + rng.IntN(220))
			if x < w/2 { // smooth ramps, dark to light
				v = uint8(16 + (x+y)*219/(w/2+h))
			}
			img.Y[img.YOffset(x, y)] = v
		}
	}
	for i := range img.Cb {
		img.Cb[i] = uint8(16 + rng.IntN(225))
		img.Cr[i] = uint8(16 + rng.IntN(225))
	}
	// The reference: the I420 planes in one buffer, OpenCV's conversion.
	i420 := append(append(append([]byte{}, img.Y...), img.Cb...), img.Cr...)
	yuv, err := gocv.NewMatFromBytes(h*3/2, w, gocv.MatTypeCV8U, i420)
	if err != nil {
		t.Fatal(err)
	}
	defer yuv.Close()
	bgr := gocv.NewMat()
	defer bgr.Close()
	gocv.CvtColor(yuv, &bgr, gocv.ColorYUVToBGRIYUV)

	a := &AntiSpoof{}
	blob := make([]float32, 3*spoofInput*spoofInput)
	for _, r := range []image.Rectangle{
		image.Rect(0, 0, w, h),       // the whole frame
		image.Rect(20, 10, 182, 172), // 162×162 → 80×80, across both halves
		image.Rect(40, 30, 80, 70),   // 40×40 → 80×80 (upscaled)
	} {
		crop := bgr.Region(r)
		out := gocv.NewMat()
		gocv.Resize(crop, &out, image.Pt(spoofInput, spoofInput), 0, 0, gocv.InterpolationLinear)
		want, _ := out.DataPtrUint8()
		diff := func() float64 {
			worst := 0.0
			for y := range spoofInput {
				for x := range spoofInput {
					for c := range 3 {
						d := float64(blob[c*spoofInput*spoofInput+y*spoofInput+x]) - float64(want[3*(y*spoofInput+x)+c])
						worst = max(worst, d, -d)
					}
				}
			}
			return worst
		}
		a.sample(img, r, blob, true)
		video := diff()
		a.sample(img, r, blob, false)
		full := diff()
		crop.Close()
		out.Close()
		t.Logf("crop %v: worst difference %v read as video, %v read as full range", r, video, full)
		if video > 2 {
			t.Errorf("crop %v: video blob differs from OpenCV's conversion by up to %v levels; want ≤ 2", r, video)
		}
	}

	// VideoRGBA is the same conversion, pixel for pixel.
	rgba := VideoRGBA(img)
	ref, _ := bgr.DataPtrUint8()
	worst := 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := rgba.PixOffset(x, y)
			for c := range 3 {
				d := int(rgba.Pix[p+c]) - int(ref[3*(y*w+x)+2-c])
				worst = max(worst, d, -d)
			}
		}
	}
	if worst > 1 {
		t.Errorf("VideoRGBA differs from OpenCV's conversion by up to %d levels; want ≤ 1", worst)
	}
}
