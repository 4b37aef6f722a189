package vpx

// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Default maximum frame size accepted by a Decoder.
const (
	DefaultMaxWidth  = 1280
	DefaultMaxHeight = 720
)

// Sentinel errors of Decode, for errors.Is. All of them except ErrClosed
// mean "ask the sender for a key frame" to a WebRTC receiver.
var (
	// ErrCorrupt means libvpx could not decode the frame or flagged it
	// corrupt (data loss). The decoder then waits for a key frame.
	ErrCorrupt = errors.New("vpx: corrupt frame")
	// ErrNeedKeyframe means an inter frame arrived while the decoder waits
	// for a key frame (at the start, or after an error); it was skipped.
	ErrNeedKeyframe = errors.New("vpx: waiting for a key frame")
	// ErrTooLarge means a key frame announced a size above the maximum; the
	// frame was refused before decoding and the decoder waits for a key frame.
	ErrTooLarge = errors.New("vpx: frame larger than the maximum size")
	// ErrNoFrame means the data was valid but holds no frame to show.
	ErrNoFrame = errors.New("vpx: no frame to show")
	// ErrClosed means the decoder or encoder was closed.
	ErrClosed = errors.New("vpx: closed")
)

var liveDecoders, liveEncoders atomic.Int64

// LiveDecoders reports how many libvpx decoder contexts are open in the
// process: tests use it to prove that no context outlives its peer.
func LiveDecoders() int64 { return liveDecoders.Load() }

// LiveEncoders reports how many libvpx encoder contexts are open.
func LiveEncoders() int64 { return liveEncoders.Load() }

// DecoderOption configures a Decoder.
type DecoderOption func(*Decoder)

// WithMaxSize sets the largest frame the decoder accepts (default 1280×720).
// Frames wider or taller are refused with ErrTooLarge.
func WithMaxSize(width, height int) DecoderOption {
	return func(d *Decoder) {
		if width > 0 && height > 0 {
			d.maxW, d.maxH = width, height
		}
	}
}

// Decoder decodes a VP8 stream into grey (luma) or 4:2:0 colour frames.
//
// A Decoder is safe for use by several goroutines (calls are serialised),
// but a stream is decoded by one: frames must arrive in order.
type Decoder struct {
	mu      sync.Mutex
	c       *C.lg_decoder // nil once closed
	maxW    int
	maxH    int
	needKey bool
	img     image.Gray // returned by Decode, reused
}

// NewDecoder opens a libvpx VP8 decoder context. Close it to free it.
func NewDecoder(opts ...DecoderOption) (*Decoder, error) {
	d := &Decoder{maxW: DefaultMaxWidth, maxH: DefaultMaxHeight, needKey: true}
	for _, o := range opts {
		o(d)
	}
	var cerr C.int
	c := C.lg_dec_new(&cerr)
	if c == nil {
		return nil, fmt.Errorf("vpx: open decoder: %s", C.GoString(C.vpx_codec_err_to_string(C.vpx_codec_err_t(cerr))))
	}
	d.c = c
	liveDecoders.Add(1)
	return d, nil
}

// Decode decodes one VP8 frame and returns its Y plane in an image owned by
// the decoder: it stays valid only until the next call of Decode or Close.
// Use DecodeGray to decode into an image of your own.
func (d *Decoder) Decode(frame []byte) (*image.Gray, error) {
	return d.DecodeGray(frame, &d.img)
}

// DecodeGray decodes one VP8 frame and writes its Y plane into dst, which it
// returns. dst's pixel buffer is reused when it is large enough and grown
// only when the frame size grows, so steady-state decoding does not
// allocate. dst may be nil (a new image is made). On error dst is returned
// unchanged, with one of the sentinel errors wrapped.
func (d *Decoder) DecodeGray(frame []byte, dst *image.Gray) (*image.Gray, error) {
	if dst == nil {
		dst = new(image.Gray)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	fw, fh, err := d.decode(frame)
	if err != nil {
		return dst, err
	}
	resizeGray(dst, fw, fh)
	C.lg_dec_copy_y(d.c, (*C.uint8_t)(unsafe.Pointer(&dst.Pix[0])), C.int(dst.Stride))
	return dst, nil
}

// DecodeYCbCr is DecodeGray in colour: it writes the frame's three planes
// into dst as 4:2:0 (VP8's own layout, so the chroma is copied, not
// converted). It costs one more copy of half the luma's bytes; a receiver
// keeps the chroma only when something downstream needs colour (the
// anti-spoofing model). dst's buffers are reused as DecodeGray's are.
func (d *Decoder) DecodeYCbCr(frame []byte, dst *image.YCbCr) (*image.YCbCr, error) {
	if dst == nil {
		dst = new(image.YCbCr)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	fw, fh, err := d.decode(frame)
	if err != nil {
		return dst, err
	}
	resizeYCbCr(dst, fw, fh)
	C.lg_dec_copy_y(d.c, (*C.uint8_t)(unsafe.Pointer(&dst.Y[0])), C.int(dst.YStride))
	C.lg_dec_copy_uv(d.c, (*C.uint8_t)(unsafe.Pointer(&dst.Cb[0])), (*C.uint8_t)(unsafe.Pointer(&dst.Cr[0])), C.int(dst.CStride))
	return dst, nil
}

// decode runs libvpx on frame (d.mu held) and returns the decoded size.
func (d *Decoder) decode(frame []byte) (w, h int, err error) {
	if d.c == nil {
		return 0, 0, ErrClosed
	}
	if len(frame) == 0 {
		return 0, 0, fmt.Errorf("%w: empty", ErrCorrupt)
	}
	key, kw, kh, ok := parseHeader(frame)
	if !ok {
		d.needKey = true
		return 0, 0, fmt.Errorf("%w: bad frame header", ErrCorrupt)
	}
	if key {
		if kw > d.maxW || kh > d.maxH {
			d.needKey = true
			return 0, 0, fmt.Errorf("%w: %d×%d > %d×%d", ErrTooLarge, kw, kh, d.maxW, d.maxH)
		}
	} else if d.needKey {
		return 0, 0, ErrNeedKeyframe
	}

	switch r := C.lg_dec_decode(d.c, (*C.uint8_t)(unsafe.Pointer(&frame[0])), C.size_t(len(frame))); r {
	case C.LG_DEC_FRAME:
	case C.LG_DEC_NOFRAME:
		return 0, 0, ErrNoFrame
	case C.LG_DEC_CORRUPT:
		d.needKey = true
		return 0, 0, fmt.Errorf("%w: flagged corrupt by libvpx", ErrCorrupt)
	default:
		d.needKey = true
		return 0, 0, fmt.Errorf("%w: %s", ErrCorrupt, C.GoString(C.lg_dec_error(d.c)))
	}
	fw, fh := int(d.c.w), int(d.c.h)
	if fw > d.maxW || fh > d.maxH || fw <= 0 || fh <= 0 {
		d.needKey = true
		return 0, 0, fmt.Errorf("%w: decoded %d×%d", ErrTooLarge, fw, fh)
	}
	d.needKey = false
	return fw, fh, nil
}

// Close frees the libvpx context. It is safe to call more than once.
func (d *Decoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c != nil {
		C.lg_dec_free(d.c)
		d.c = nil
		liveDecoders.Add(-1)
	}
	return nil
}

// resizeGray makes g a w×h image, reusing its pixel buffer when it has the
// capacity.
func resizeGray(g *image.Gray, w, h int) {
	n := w * h
	if cap(g.Pix) < n {
		g.Pix = make([]byte, n)
	}
	g.Pix = g.Pix[:n]
	g.Stride = w
	g.Rect = image.Rect(0, 0, w, h)
}

// resizeYCbCr makes m a w×h 4:2:0 image, reusing its planes when they have
// the capacity.
func resizeYCbCr(m *image.YCbCr, w, h int) {
	cw, ch := (w+1)/2, (h+1)/2
	grow := func(b []byte, n int) []byte {
		if cap(b) < n {
			return make([]byte, n)
		}
		return b[:n]
	}
	m.Y, m.Cb, m.Cr = grow(m.Y, w*h), grow(m.Cb, cw*ch), grow(m.Cr, cw*ch)
	m.YStride, m.CStride = w, cw
	m.SubsampleRatio = image.YCbCrSubsampleRatio420
	m.Rect = image.Rect(0, 0, w, h)
}

// parseHeader reads the VP8 frame tag (RFC 6386 §9.1): whether the frame is
// a key frame and, for key frames, its width and height.
func parseHeader(b []byte) (key bool, w, h int, ok bool) {
	if len(b) < 3 {
		return false, 0, 0, false
	}
	if b[0]&1 != 0 {
		return false, 0, 0, true
	}
	if len(b) < 10 || b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
		return true, 0, 0, false
	}
	w = int(uint16(b[6])|uint16(b[7])<<8) & 0x3fff
	h = int(uint16(b[8])|uint16(b[9])<<8) & 0x3fff
	return true, w, h, true
}

// IsKeyframe reports whether frame starts a VP8 key frame. Receivers use it
// to recognise the key frame they asked for.
func IsKeyframe(frame []byte) bool {
	key, _, _, ok := parseHeader(frame)
	return key && ok
}
