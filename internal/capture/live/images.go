package live

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"slices"
	"time"

	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/session"
)

// Evidence images (issue 13). While an attempt runs, the analysis
// goroutine keeps a few frames beside the model's samples, by the same
// cheap rating (a comparison or two per frame, no allocation once the
// buffers exist, a copy only when a frame is kept):
//
//   - far and near: the frames where the tracked face was smallest and
//     largest (no near/far step is asked; a frame replaces the kept one
//     only when its face is clearly smaller or larger, so a steady face
//     costs no copies);
//   - audit frames: frames with a face at least auditSpacing apart; when
//     2×MaxAuditImages are kept, every other one goes and the spacing
//     doubles, so the kept ones stay spread over the whole attempt;
//   - the best frontal frame is the model's best sample.
//
// Once the attempt that finishes the session has ended, the control
// goroutine scales each to at most imageMaxSide pixels on its long side,
// encodes it as JPEG (imageQuality; Config.EncodeJPEG, OpenCV's libjpeg in
// the server, about ten times cheaper than image/jpeg), seals it and stores it for the
// session's biometric retention (Service.keepImages).

const (
	nearFarBy     = 1.05 // a far/near frame is replaced by a face 5 % smaller/larger
	auditSpacing  = 500 * time.Millisecond
	imageMaxSide  = 480
	imageQuality  = 85
	maxAuditTaken = 2 * session.MaxAuditImages
)

// evidenceFrames keeps an attempt's far, near and audit frames. Like the
// sampler that owns it, it is used by one goroutine at a time.
type evidenceFrames struct {
	far, near *sample // quality: the face's width over the frame's
	audit     []*sample
	spacing   time.Duration
	spare     []*sample
	copies    int
}

func (e *evidenceFrames) take(img *image.YCbCr, o *gesture.Observation, into *sample) *sample {
	if into == nil {
		if n := len(e.spare); n > 0 {
			into, e.spare = e.spare[n-1], e.spare[:n-1]
		} else {
			into = &sample{}
		}
	}
	copyYCbCr(&into.img, img)
	into.box, into.t, into.quality = o.Box, frameTime(o), o.Quality.FaceWidth
	e.copies++
	return into
}

// frameTime is when the frame arrived on the server's clock (its capture
// time for a source without one).
func frameTime(o *gesture.Observation) time.Time {
	if !o.Arrival.IsZero() {
		return o.Arrival
	}
	return o.T
}

// offer considers the frame img seen as o.
func (e *evidenceFrames) offer(img *image.YCbCr, o *gesture.Observation) {
	if o.Faces != 1 || o.Box.Empty() || o.Quality.Outside || o.Quality.FaceWidth <= 0 {
		return
	}
	w := o.Quality.FaceWidth
	if e.far == nil || w*nearFarBy < e.far.quality {
		e.far = e.take(img, o, e.far)
	}
	if e.near == nil || w > e.near.quality*nearFarBy {
		e.near = e.take(img, o, e.near)
	}
	if e.spacing == 0 {
		e.spacing = auditSpacing
	}
	if n := len(e.audit); n > 0 && frameTime(o).Sub(e.audit[n-1].t) < e.spacing {
		return
	}
	e.audit = append(e.audit, e.take(img, o, nil))
	if len(e.audit) == maxAuditTaken {
		kept := e.audit[:0]
		for i, a := range e.audit {
			if i%2 == 0 {
				kept = append(kept, a)
			} else {
				e.spare = append(e.spare, a)
			}
		}
		e.audit, e.spacing = kept, 2*e.spacing
	}
}

// auditFrames returns at most MaxAuditImages of the audit frames, spread
// evenly from the first to the last.
func (e *evidenceFrames) auditFrames() []*sample {
	n := len(e.audit)
	if n <= session.MaxAuditImages {
		return slices.Clone(e.audit)
	}
	out := make([]*sample, 0, session.MaxAuditImages)
	for i := range session.MaxAuditImages {
		out = append(out, e.audit[(i*(n-1)+(session.MaxAuditImages-1)/2)/(session.MaxAuditImages-1)])
	}
	return out
}

// best returns the sampler's highest-rated frame, or nil.
func (s *sampler) best() *sample {
	var b *sample
	for _, k := range s.kept {
		if b == nil || k.quality > b.quality {
			b = k
		}
	}
	return b
}

// evidenceImage is one frame chosen as evidence, before encoding.
type evidenceImage struct {
	name  string
	frame *sample
	box   bool // whether the listing gives the face box
}

// chosen returns the attempt's evidence frames, named.
func (s *sampler) chosen() []evidenceImage {
	var out []evidenceImage
	if s.ev.far != nil {
		out = append(out, evidenceImage{session.ImageFar, s.ev.far, true}, evidenceImage{session.ImageNear, s.ev.near, true})
	}
	if b := s.best(); b != nil {
		out = append(out, evidenceImage{session.ImageBest, b, true})
	}
	for i, a := range s.ev.auditFrames() {
		out = append(out, evidenceImage{session.AuditImageName(i + 1), a, true})
	}
	return out
}

// scaleYCbCr returns src scaled by nearest neighbour so that its long side
// is at most maxSide (src itself when it already is), and the factor.
func scaleYCbCr(src *image.YCbCr, maxSide int) (*image.YCbCr, float64) {
	b := src.Rect
	w, h := b.Dx(), b.Dy()
	long := max(w, h)
	if long <= maxSide {
		return src, 1
	}
	f := float64(maxSide) / float64(long)
	dw, dh := max(1, int(float64(w)*f)), max(1, int(float64(h)*f))
	dst := image.NewYCbCr(image.Rect(0, 0, dw, dh), src.SubsampleRatio)
	// The source column of each destination column, computed once.
	xs := make([]int, dw)
	for x := range xs {
		xs[x] = x * w / dw
	}
	for y := range dh {
		row := dst.Y[y*dst.YStride : y*dst.YStride+dw]
		srow := src.Y[(y*h/dh)*src.YStride:]
		for x, sx := range xs {
			row[x] = srow[sx]
		}
	}
	cw, ch := dst.Rect.Dx(), dst.Rect.Dy()
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio420:
		cw, ch = (cw+1)/2, (ch+1)/2
	case image.YCbCrSubsampleRatio422:
		cw = (cw + 1) / 2
	}
	// Each destination chroma sample takes the source chroma sample under
	// the first destination luma pixel it covers.
	cx := make([]int, cw)
	for x := range cx {
		sx := min(b.Min.X+(x*dw/cw)*w/dw, b.Max.X-1)
		cx[x] = src.COffset(sx, b.Min.Y) - src.COffset(b.Min.X, b.Min.Y)
	}
	for y := range ch {
		sy := min(b.Min.Y+(y*dh/ch)*h/dh, b.Max.Y-1)
		base := src.COffset(b.Min.X, sy)
		drow := y * dst.CStride
		for x, o := range cx {
			dst.Cb[drow+x], dst.Cr[drow+x] = src.Cb[base+o], src.Cr[base+o]
		}
	}
	return dst, f
}

// JPEGEncoder appends img, encoded as JPEG at quality, to dst.
// perception.EncodeJPEG (OpenCV's libjpeg) is the server's; StdJPEG the
// default.
type JPEGEncoder func(dst []byte, img *image.YCbCr, quality int) ([]byte, error)

// StdJPEG is the standard library's JPEG encoder as a JPEGEncoder.
func StdJPEG(dst []byte, img *image.YCbCr, quality int) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	if err := jpeg.Encode(buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeEvidence scales and encodes one frame into buf (reused), and gives
// its face box in the JPEG's pixels.
func encodeEvidence(enc JPEGEncoder, buf []byte, smp *sample) (out []byte, w, h int, box *session.Box, err error) {
	img, f := scaleYCbCr(&smp.img, imageMaxSide)
	if enc == nil {
		enc = StdJPEG
	}
	if out, err = enc(buf[:0], img, imageQuality); err != nil {
		return nil, 0, 0, nil, err
	}
	r := smp.box.Sub(smp.img.Rect.Min).Intersect(image.Rect(0, 0, smp.img.Rect.Dx(), smp.img.Rect.Dy()))
	if !r.Empty() {
		box = &session.Box{X: int(float64(r.Min.X) * f), Y: int(float64(r.Min.Y) * f), W: int(float64(r.Dx()) * f), H: int(float64(r.Dy()) * f)}
	}
	return out, img.Rect.Dx(), img.Rect.Dy(), box, nil
}

// evidenceImages encodes and seals the chosen frames of an attempt.
func (s *Service) evidenceImages(sid string, smp *sampler) ([]session.Image, error) {
	var buf []byte
	var out []session.Image
	for _, c := range smp.chosen() {
		var w, h int
		var box *session.Box
		var err error
		buf, w, h, box, err = encodeEvidence(s.cfg.EncodeJPEG, buf, c.frame)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", c.name, err)
		}
		sealed, err := s.cfg.DataKeys.Seal(sid, session.ImageLabel(c.name), buf)
		if err != nil {
			return nil, fmt.Errorf("seal %s: %w", c.name, err)
		}
		im := session.Image{Name: c.name, Width: w, Height: h, At: c.frame.t.UTC(), Sealed: sealed}
		if c.box {
			im.Box = box
		}
		out = append(out, im)
	}
	return out, nil
}

// keepImages stores the evidence images of the attempt that finished sess,
// for its biometric retention: none without an image store, data keys or
// a biometric retention. A failure (a full store) is logged and audited;
// the session and its verdict stand. The images themselves never reach a
// log.
func (s *Service) keepImages(ctx context.Context, sess *session.Session, smp *sampler) {
	if s.cfg.Images == nil || s.cfg.DataKeys == nil || smp == nil || !s.cfg.Now().Before(sess.BiometricUntil()) {
		return
	}
	start := time.Now()
	imgs, err := s.evidenceImages(sess.ID, smp)
	if err == nil && len(imgs) == 0 {
		return
	}
	if err == nil {
		sctx, cancel := s.storeContext(ctx)
		err = s.cfg.Images.PutImages(sctx, sess.ID, imgs, sess.BiometricUntil())
		cancel()
	}
	if err != nil {
		s.log.WarnContext(ctx, "live: evidence images not kept", "sid", sess.ID, "err", err)
		s.audit(ctx, sess.ID, session.AuditEntry{Event: EventImagesNotStored, Outcome: session.ErrorCode(err)})
		return
	}
	size := 0
	for _, im := range imgs {
		size += len(im.Sealed)
	}
	s.audit(ctx, sess.ID, session.AuditEntry{Event: EventImagesStored, Outcome: fmt.Sprint(len(imgs))})
	s.log.InfoContext(ctx, "live: evidence images kept", "sid", sess.ID, "images", len(imgs), "bytes", size, "took", time.Since(start))
}

// The audit events of the evidence images.
const (
	EventImagesStored    = "images_stored"
	EventImagesNotStored = "images_not_stored"
)
