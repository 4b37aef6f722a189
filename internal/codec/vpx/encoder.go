package vpx

// #include "shim.h"
import "C"

import (
	"fmt"
	"image"
	"sync"
	"unsafe"
)

// Encoder encodes 4:2:0 frames to VP8 with realtime settings (one frame out
// per frame in, no frame dropping, VPX_DL_REALTIME, high cpu-used). It is
// meant for the Go test client and tests.
type Encoder struct {
	mu   sync.Mutex
	c    *C.lg_encoder
	w, h int
}

// NewEncoder opens a VP8 encoder for w×h frames at fps frames per second and
// a target bitrate in kbit/s.
func NewEncoder(w, h, fps, bitrateKbps int) (*Encoder, error) {
	if w <= 0 || h <= 0 || w > 16383 || h > 16383 || fps <= 0 || bitrateKbps <= 0 {
		return nil, fmt.Errorf("vpx: new encoder: bad parameters %d×%d %d fps %d kbps", w, h, fps, bitrateKbps)
	}
	var cerr C.int
	c := C.lg_enc_new(C.uint(w), C.uint(h), C.int(fps), C.int(bitrateKbps), &cerr)
	if c == nil {
		return nil, fmt.Errorf("vpx: open encoder: %s", C.GoString(C.vpx_codec_err_to_string(C.vpx_codec_err_t(cerr))))
	}
	liveEncoders.Add(1)
	return &Encoder{c: c, w: w, h: h}, nil
}

// Encode encodes img, which must be 4:2:0 and exactly the encoder's size.
// It returns the VP8 frame (a new slice the caller owns) and whether it is a
// key frame; forceKeyframe asks for one.
func (e *Encoder) Encode(img *image.YCbCr, forceKeyframe bool) (frame []byte, keyframe bool, err error) {
	if img == nil || img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return nil, false, fmt.Errorf("vpx: encode: want a 4:2:0 image")
	}
	if b := img.Rect; b.Dx() != e.w || b.Dy() != e.h {
		return nil, false, fmt.Errorf("vpx: encode: image is %d×%d, encoder %d×%d", b.Dx(), b.Dy(), e.w, e.h)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return nil, false, ErrClosed
	}
	// Offsets of the top-left pixel, so sub-images work too.
	y0 := img.YOffset(img.Rect.Min.X, img.Rect.Min.Y)
	c0 := img.COffset(img.Rect.Min.X, img.Rect.Min.Y)
	C.lg_enc_set_plane(e.c, 0, (*C.uint8_t)(unsafe.Pointer(&img.Y[y0])), C.int(img.YStride))
	C.lg_enc_set_plane(e.c, 1, (*C.uint8_t)(unsafe.Pointer(&img.Cb[c0])), C.int(img.CStride))
	C.lg_enc_set_plane(e.c, 2, (*C.uint8_t)(unsafe.Pointer(&img.Cr[c0])), C.int(img.CStride))
	force := C.int(0)
	if forceKeyframe {
		force = 1
	}
	if C.lg_enc_encode(e.c, force) != 0 {
		return nil, false, fmt.Errorf("vpx: encode: %s", C.GoString(C.lg_enc_error(e.c)))
	}
	switch e.c.out_count {
	case 0:
		return nil, false, fmt.Errorf("vpx: encode: no frame produced")
	case 1:
	default:
		return nil, false, fmt.Errorf("vpx: encode: %d frames produced for one input", e.c.out_count)
	}
	frame = C.GoBytes(unsafe.Pointer(e.c.out), C.int(e.c.out_n))
	return frame, e.c.out_key != 0, nil
}

// Close frees the libvpx context. It is safe to call more than once.
func (e *Encoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c != nil {
		C.lg_enc_free(e.c)
		e.c = nil
		liveEncoders.Add(-1)
	}
	return nil
}
