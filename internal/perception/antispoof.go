package perception

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"sync"

	"gocv.io/x/gocv"

	"github.com/livegate/livegate/internal/gesture"
)

// ErrNoColour is returned by AntiSpoof.Score for a grey image: the models
// were trained on colour crops, and what tells a screen or a print from skin
// lies largely in the chroma, so a grey frame's score would mean nothing.
// Today's VP8 decoder (internal/codec/vpx) keeps only the luma plane; a live
// path that scores frames must keep the chroma (an *image.YCbCr).
var ErrNoColour = errors.New("perception: anti-spoofing needs a colour image")

// spoofInput is the width and height of both MiniFASNet models' input.
const spoofInput = 80

// Crop scales of the two models (upstream's file names carry them): the face
// box is scaled by this much around its centre before the crop.
const (
	CropScaleV2   = 2.7
	CropScaleV1SE = 4.0
)

// AntiSpoof scores how likely a face is a real one rather than a
// presentation attack (a print, a screen), with Minivision's two MiniFASNet
// models (V2 on a 2.7× crop, V1SE on a 4.0× crop), fused as upstream fuses
// them: the mean of their softmax "real" outputs.
//
// It reuses its input blob between calls, so Score is serialised by a mutex;
// one AntiSpoof serves a process (the models are small and fast, and it runs
// on a few sampled frames, not on every frame). Close it to free the OpenCV
// memory.
type AntiSpoof struct {
	mu     sync.Mutex
	nets   [2]spoofNet
	blob   gocv.Mat // 1×3×80×80 float32, NCHW, BGR, raw 0–255
	closed bool

	// Bilinear sampling tables of the current crop, filled by each model's
	// pass (kept here so that Score does not allocate).
	xs, ys [spoofInput]tap
}

type spoofNet struct {
	net   gocv.Net
	scale float64
}

// tap is one output coordinate's two source pixels and the weight of the
// second.
type tap struct {
	i0, i1 int
	w      float32
}

// NewAntiSpoof loads the MiniFASNetV2 (crop scale 2.7) and MiniFASNetV1SE
// (crop scale 4.0) ONNX models; FindMiniFASNet("", "") gives the repository's
// copies.
func NewAntiSpoof(v2Path, v1sePath string) (*AntiSpoof, error) {
	a := &AntiSpoof{}
	for i, m := range []struct {
		path  string
		scale float64
	}{{v2Path, CropScaleV2}, {v1sePath, CropScaleV1SE}} {
		// OpenCV's own error for a missing file is an exception that aborts the
		// process; say it plainly instead.
		if _, err := os.Stat(m.path); err != nil {
			a.closeNets()
			return nil, fmt.Errorf("perception: MiniFASNet model: %w", err)
		}
		net := gocv.ReadNetFromONNX(m.path)
		if net.Empty() {
			net.Close()
			a.closeNets()
			return nil, fmt.Errorf("perception: load MiniFASNet model %s: not a network OpenCV can read", m.path)
		}
		a.nets[i] = spoofNet{net: net, scale: m.scale}
	}
	a.blob = gocv.NewMatWithSizes([]int{1, 3, spoofInput, spoofInput}, gocv.MatTypeCV32F)
	return a, nil
}

func (a *AntiSpoof) closeNets() {
	for i := range a.nets {
		if a.nets[i].scale != 0 {
			a.nets[i].net.Close()
			a.nets[i] = spoofNet{}
		}
	}
}

// Close frees the models' OpenCV memory. It is safe to call more than once.
func (a *AntiSpoof) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	a.closeNets()
	a.blob.Close()
	return nil
}

// Score returns the fused probability, in [0, 1], that face (a box in img's
// coordinates, as Detector gives it) is a real face. img must be in colour:
// *image.YCbCr (what the JPEG decoder yields, full range as JFIF defines
// it) and *image.RGBA are read directly, any other image.Image through At;
// a grey image gives ErrNoColour. A decoded video frame is not full range:
// score it with ScoreVideo. The thresholds that separate real from attack
// depend on the detector's boxes (upstream used RetinaFace, livegate YuNet)
// and must be calibrated on them.
func (a *AntiSpoof) Score(img image.Image, face gesture.Face) (float64, error) {
	return a.score(img, face, false)
}

// ScoreVideo is Score for a decoded video frame (VP8, y4m): an
// *image.YCbCr is read as BT.601 studio range (luma 16–235, chroma
// 16–240), what video codecs carry and what OpenCV converts video from
// (upstream read its frames with cv2). Read as a JPEG's full range, a
// video frame reaches the model washed out (black at 16, white at 235,
// colours flattened by a seventh), the look of a print or a screen. Other
// image types are read as Score reads them.
func (a *AntiSpoof) ScoreVideo(img image.Image, face gesture.Face) (float64, error) {
	return a.score(img, face, true)
}

func (a *AntiSpoof) score(img image.Image, face gesture.Face, video bool) (float64, error) {
	b := img.Bounds()
	switch img.(type) {
	case *image.Gray, *image.Gray16:
		return 0, ErrNoColour
	}
	if b.Empty() {
		return 0, fmt.Errorf("perception: empty image %v", b)
	}
	if b.Dx() > MaxInputSize.X || b.Dy() > MaxInputSize.Y {
		return 0, fmt.Errorf("perception: image %dx%d larger than %dx%d", b.Dx(), b.Dy(), MaxInputSize.X, MaxInputSize.Y)
	}
	box := face.Box.Intersect(b)
	if box.Empty() {
		return 0, fmt.Errorf("perception: face box %v outside image %v", face.Box, b)
	}
	box = box.Sub(b.Min)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return 0, ErrClosed
	}
	blob, err := a.blob.DataPtrFloat32()
	if err != nil {
		return 0, fmt.Errorf("perception: %v", err)
	}
	var sum float64
	for _, n := range a.nets {
		crop := CropBox(b.Dx(), b.Dy(), box, n.scale).Add(b.Min)
		a.sample(img, crop, blob, video)
		real, err := n.forward(a.blob)
		if err != nil {
			return 0, err
		}
		sum += real
	}
	return sum / float64(len(a.nets)), nil
}

// forward runs the network on blob and returns the softmax probability of
// class 1, "real face".
func (n spoofNet) forward(blob gocv.Mat) (float64, error) {
	n.net.SetInput(blob, "")
	out := n.net.Forward("")
	defer out.Close()
	logits, err := out.DataPtrFloat32()
	if err != nil {
		return 0, fmt.Errorf("perception: MiniFASNet output: %v", err)
	}
	if len(logits) != 3 {
		return 0, fmt.Errorf("perception: MiniFASNet gave %d outputs; want 3", len(logits))
	}
	m := float64(max(logits[0], logits[1], logits[2]))
	var e [3]float64
	var s float64
	for i, l := range logits {
		e[i] = math.Exp(float64(l) - m)
		s += e[i]
	}
	return e[1] / s, nil
}

// CropBox returns the crop of a model of crop scale scale for the face box
// (relative to a w×h image's top-left corner), by upstream's rule: the box
// is scaled around its centre, by at most what keeps it inside the image
// (scale = min((h-1)/boxH, (w-1)/boxW, scale)); a crop that then sticks out
// on one side is shifted back inside; corners are truncated to whole pixels,
// and the bottom-right one is inclusive (so Max is one past it).
func CropBox(w, h int, box image.Rectangle, scale float64) image.Rectangle {
	bx, by := float64(box.Min.X), float64(box.Min.Y)
	bw, bh := float64(box.Dx()), float64(box.Dy())
	scale = min(float64(h-1)/bh, float64(w-1)/bw, scale)
	nw, nh := bw*scale, bh*scale
	cx, cy := bx+bw/2, by+bh/2
	x0, y0, x1, y1 := cx-nw/2, cy-nh/2, cx+nw/2, cy+nh/2
	if x0 < 0 {
		x1 -= x0
		x0 = 0
	}
	if y0 < 0 {
		y1 -= y0
		y0 = 0
	}
	if x1 > float64(w-1) {
		x0 -= x1 - float64(w-1)
		x1 = float64(w - 1)
	}
	if y1 > float64(h-1) {
		y0 -= y1 - float64(h-1)
		y1 = float64(h - 1)
	}
	// Truncation toward zero, as Python's int(); the clamp only guards
	// against rounding a hair outside.
	r := image.Rect(int(x0), int(y0), int(x1)+1, int(y1)+1)
	return r.Intersect(image.Rect(0, 0, w, h))
}

// taps fills t with the bilinear taps of resizing n source pixels to
// len(t), with OpenCV's INTER_LINEAR convention (pixel centres aligned,
// edges clamped), which upstream's cv2.resize uses.
func taps(t *[spoofInput]tap, n int) {
	s := float64(n) / spoofInput
	for i := range t {
		f := (float64(i)+0.5)*s - 0.5
		i0 := int(math.Floor(f))
		w := f - float64(i0)
		if i0 < 0 {
			i0, w = 0, 0
		}
		if i0 >= n-1 {
			i0, w = n-1, 0
		}
		t[i] = tap{i0: i0, i1: min(i0+1, n-1), w: float32(w)}
	}
}

// sample resizes the crop r of img to 80×80 into blob, NCHW, channels in BGR
// order, values 0–255 rounded to whole levels as cv2.resize's 8-bit output
// is (upstream does not divide by 255). video reads an *image.YCbCr as
// studio range (see ScoreVideo).
func (a *AntiSpoof) sample(img image.Image, r image.Rectangle, blob []float32, video bool) {
	taps(&a.xs, r.Dx())
	taps(&a.ys, r.Dy())
	const plane = spoofInput * spoofInput
	for oy, ty := range a.ys {
		y0, y1 := r.Min.Y+ty.i0, r.Min.Y+ty.i1
		for ox, tx := range a.xs {
			x0, x1 := r.Min.X+tx.i0, r.Min.X+tx.i1
			p00, p01 := bgrAt(img, x0, y0, video), bgrAt(img, x1, y0, video)
			p10, p11 := bgrAt(img, x0, y1, video), bgrAt(img, x1, y1, video)
			for c := range 3 {
				top := p00[c] + (p01[c]-p00[c])*tx.w
				bot := p10[c] + (p11[c]-p10[c])*tx.w
				v := top + (bot-top)*ty.w
				blob[c*plane+oy*spoofInput+ox] = float32(math.Round(float64(v)))
			}
		}
	}
}

// bgrAt returns the pixel at (x, y) of img as B, G, R in 0–255; video
// reads an *image.YCbCr as studio range (studioToBGR), else as full range.
func bgrAt(img image.Image, x, y int, video bool) [3]float32 {
	switch m := img.(type) {
	case *image.YCbCr:
		yi, ci := m.YOffset(x, y), m.COffset(x, y)
		if video {
			return studioToBGR(m.Y[yi], m.Cb[ci], m.Cr[ci])
		}
		r, g, b := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
		return [3]float32{float32(b), float32(g), float32(r)}
	case *image.RGBA:
		i := m.PixOffset(x, y)
		p := m.Pix[i : i+3 : i+3]
		return [3]float32{float32(p[2]), float32(p[1]), float32(p[0])}
	}
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]float32{float32(b >> 8), float32(g >> 8), float32(r >> 8)}
}

// studioToBGR converts one BT.601 studio-range sample (luma 16–235, chroma
// 16–240 around 128) to B, G, R, rounded to whole levels and clamped to
// 0–255 as an 8-bit BGR frame holds them: the conversion OpenCV's
// YUV-to-BGR (and so upstream's cv2 video decoding) applies.
func studioToBGR(y, cb, cr uint8) [3]float32 {
	l := 1.164383 * (float64(y) - 16)
	u, v := float64(cb)-128, float64(cr)-128
	level := func(c float64) float32 { return float32(math.Round(max(0, min(255, c)))) }
	return [3]float32{
		level(l + 2.017232*u),
		level(l - 0.391762*u - 0.812968*v),
		level(l + 1.596027*v),
	}
}

// VideoRGBA converts a decoded video frame (BT.601 studio range, as
// ScoreVideo reads it) to RGBA, so that code which reads pixels through
// image.Image (a resize, a simulated recapture, Score) sees the colours a
// video player shows rather than At's full-range reading.
func VideoRGBA(img *image.YCbCr) *image.RGBA {
	out := image.NewRGBA(img.Rect)
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			bgr := studioToBGR(img.Y[img.YOffset(x, y)], img.Cb[img.COffset(x, y)], img.Cr[img.COffset(x, y)])
			p := out.Pix[out.PixOffset(x, y):]
			p[0], p[1], p[2], p[3] = uint8(bgr[2]), uint8(bgr[1]), uint8(bgr[0]), 255
		}
	}
	return out
}
