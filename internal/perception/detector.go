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
	"github.com/livegate/livegate/internal/gesture/landmarks"
)

var _ gesture.FaceDetector = (*Detector)(nil)

// ErrClosed is returned by Detect after Close.
var ErrClosed = errors.New("perception: detector closed")

// Option configures a Detector.
type Option func(*config)

type config struct {
	score    float32
	nms      float32
	topK     int
	maxWidth int
	maxFaces int
}

// WithScoreThreshold sets the minimum YuNet score of a face (default 0.8).
func WithScoreThreshold(s float32) Option { return func(c *config) { c.score = s } }

// WithNMSThreshold sets the IoU above which overlapping boxes are merged (default 0.3).
func WithNMSThreshold(t float32) Option { return func(c *config) { c.nms = t } }

// WithTopK sets how many candidates YuNet keeps before NMS (default 5000).
func WithTopK(k int) Option { return func(c *config) { c.topK = k } }

// WithMaxInputWidth sets the width frames are downscaled to before detection
// (default 320). Smaller is faster; faces narrower than about 10 pixels after
// downscaling are missed. Frames narrower than this are not upscaled.
func WithMaxInputWidth(w int) Option { return func(c *config) { c.maxWidth = w } }

// WithMaxFaces caps the number of faces reported per frame, best first (default 16).
func WithMaxFaces(n int) Option { return func(c *config) { c.maxFaces = n } }

// Detector finds faces with YuNet (2022mar model) through cv::FaceDetectorYN.
//
// A Detector reuses its Mats between calls, so Detect is serialised by a mutex; use one
// Detector per goroutine for parallel detection. Close it to free the OpenCV memory.
type Detector struct {
	mu     sync.Mutex
	cfg    config
	yn     *yunet
	gray   gocv.Mat // input copy, full size
	small  gocv.Mat // downscaled grey
	bgr    gocv.Mat // 3-channel input of YuNet
	padded gocv.Mat // bgr padded to minInput for very small frames
	rows   []float32
	closed bool
}

// minInput is the smallest width and height YuNet (2022mar) accepts in OpenCV 4.6.
const minInput = 64

// MaxInputSize is the largest frame Detect accepts.
var MaxInputSize = image.Pt(4096, 4096)

// NewDetector loads the YuNet ONNX model at modelPath (only the 2022mar release loads in
// OpenCV 4.6).
func NewDetector(modelPath string, opts ...Option) (*Detector, error) {
	cfg := config{score: 0.8, nms: 0.3, topK: 5000, maxWidth: 320, maxFaces: 16}
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case cfg.score < 0 || cfg.score > 1:
		return nil, fmt.Errorf("perception: score threshold %v outside [0,1]", cfg.score)
	case cfg.nms <= 0 || cfg.nms > 1:
		return nil, fmt.Errorf("perception: NMS threshold %v outside (0,1]", cfg.nms)
	case cfg.topK < 1:
		return nil, fmt.Errorf("perception: top-k %d < 1", cfg.topK)
	case cfg.maxWidth < minInput:
		return nil, fmt.Errorf("perception: max input width %d < %d", cfg.maxWidth, minInput)
	case cfg.maxFaces < 1:
		return nil, fmt.Errorf("perception: max faces %d < 1", cfg.maxFaces)
	}
	// OpenCV's own error for a missing file is an assertion dump; say it plainly.
	if _, err := os.Stat(modelPath); err != nil {
		return nil, fmt.Errorf("perception: YuNet model: %w", err)
	}
	yn, err := newYuNet(modelPath, cfg.score, cfg.nms, cfg.topK)
	if err != nil {
		return nil, fmt.Errorf("perception: load YuNet model %s: %v", modelPath, err)
	}
	return &Detector{
		cfg:    cfg,
		yn:     yn,
		gray:   gocv.NewMat(),
		small:  gocv.NewMat(),
		bgr:    gocv.NewMat(),
		padded: gocv.NewMat(),
		rows:   make([]float32, 15*cfg.maxFaces),
	}, nil
}

// Close frees the detector's OpenCV resources. It is safe to call more than once.
func (d *Detector) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	d.yn.close()
	d.gray.Close()
	d.small.Close()
	d.bgr.Close()
	d.padded.Close()
	return nil
}

// Detect finds the faces in img, best score first. The frame is downscaled to the
// configured width for detection, and boxes and keypoints are mapped back to img's
// coordinates (img.Rect.Min included). It returns nil when there is no face.
func (d *Detector) Detect(img *image.Gray) ([]gesture.Face, error) {
	return d.DetectFaces(img, nil)
}

// DetectFaces is Detect appending to dst[:0], so a caller that reuses dst detects
// without allocating in steady state. It makes a Detector a gesture.FaceDetector.
func (d *Detector) DetectFaces(img *image.Gray, dst []gesture.Face) ([]gesture.Face, error) {
	dst = dst[:0]
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w <= 0 || h <= 0 {
		return dst, fmt.Errorf("perception: empty image %v", img.Rect)
	}
	if w > MaxInputSize.X || h > MaxInputSize.Y {
		return dst, fmt.Errorf("perception: image %dx%d larger than %dx%d", w, h, MaxInputSize.X, MaxInputSize.Y)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return dst, ErrClosed
	}
	if err := d.load(img); err != nil {
		return dst, err
	}
	src := &d.gray
	sw, sh := w, h
	if w > d.cfg.maxWidth {
		sw = d.cfg.maxWidth
		sh = max(1, int(math.Round(float64(h)*float64(sw)/float64(w))))
		gocv.Resize(d.gray, &d.small, image.Pt(sw, sh), 0, 0, gocv.InterpolationArea)
		src = &d.small
	}
	gocv.CvtColor(*src, &d.bgr, gocv.ColorGrayToBGR)
	in := &d.bgr
	if sw < minInput || sh < minInput {
		// YuNet's pooling fails on inputs under 64 pixels: pad right and bottom,
		// which leaves coordinates unchanged.
		gocv.CopyMakeBorder(d.bgr, &d.padded, 0, max(0, minInput-sh), 0, max(0, minInput-sw), gocv.BorderConstant, color.RGBA{})
		in = &d.padded
	}
	n, err := d.yn.detect(in, d.rows)
	if err != nil {
		return dst, fmt.Errorf("perception: YuNet: %v", err)
	}
	n = min(n, d.cfg.maxFaces)
	sx, sy := float32(w)/float32(sw), float32(h)/float32(sh)
	ox, oy := img.Rect.Min.X, img.Rect.Min.Y
	// Box edges scale as edges; keypoints are pixel positions, whose centres map onto
	// pixel centres: x in the small image is (x+0.5)*sx-0.5 in the input.
	edge := func(x, y float32) image.Point {
		return image.Pt(ox+int(math.Round(float64(x*sx))), oy+int(math.Round(float64(y*sy))))
	}
	pt := func(x, y float32) image.Point {
		return edge(x+0.5-0.5/sx, y+0.5-0.5/sy)
	}
	for i := 0; i < n; i++ {
		r := d.rows[15*i : 15*i+15]
		f := gesture.Face{
			Box:   image.Rectangle{Min: edge(r[0], r[1]), Max: edge(r[0]+r[2], r[1]+r[3])}.Intersect(img.Rect),
			Score: r[14],
		}
		for k := range f.Keypoints {
			f.Keypoints[k] = pt(r[4+2*k], r[5+2*k])
		}
		if f.Box.Empty() {
			continue
		}
		dst = append(dst, f)
	}
	return dst, nil
}

// load copies img into d.gray, reallocating the Mat only when the frame size changes.
func (d *Detector) load(img *image.Gray) error {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if d.gray.Cols() != w || d.gray.Rows() != h || d.gray.Type() != gocv.MatTypeCV8UC1 {
		d.gray.Close()
		d.gray = gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC1)
	}
	buf, err := d.gray.DataPtrUint8()
	if err != nil {
		return fmt.Errorf("perception: %v", err)
	}
	off := img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y)
	if img.Stride == w {
		copy(buf, img.Pix[off:off+w*h])
		return nil
	}
	for y := 0; y < h; y++ {
		copy(buf[y*w:(y+1)*w], img.Pix[off+y*img.Stride:off+y*img.Stride+w])
	}
	return nil
}

// BoxFromYuNet returns the box for the 68-point landmark model
// (landmarks.Predictor.Predict) of a face found by this detector: the box dlib's
// face detector, on whose boxes that model was trained, would have drawn. See
// landmarks.BoxFromDetection for how it is derived.
func BoxFromYuNet(f gesture.Face) image.Rectangle {
	return landmarks.BoxFromDetection(f.Box, f.Keypoints)
}
