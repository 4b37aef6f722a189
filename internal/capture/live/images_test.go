package live

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// A face that shrinks then grows over 10 s at 15 fps: far is its smallest
// frame, near its largest, the audit frames span the attempt, and a
// steady stretch costs no copies.
func TestEvidenceFramesFarNearAudit(t *testing.T) {
	s := newSampler(4)
	const n = 150
	width := func(i int) float64 {
		switch {
		case i < 50:
			return 0.3 - 0.1*float64(i)/50 // shrinks to 0.2 at i = 50
		case i < 100:
			return 0.2 + 0.3*float64(i-50)/50 // grows to 0.5 at i = 100
		default:
			return 0.5 // steady
		}
	}
	for i := range n {
		o := frontal(time.Duration(i)*time.Second/15, width(i), 0)
		img := colourFrame(uint8(i))
		s.offer(img, &o)
		img.Y[0] = 255 // the peer reuses its buffer
	}
	e := &s.ev
	if e.far == nil || e.near == nil {
		t.Fatal("no far or near frame")
	}
	if got := e.far.quality; math.Abs(got-0.2) > 0.2*(nearFarBy-1)+1e-9 {
		t.Errorf("far frame's face width %.3f; want within 5 %% of the smallest, 0.2", got)
	}
	if got := e.near.quality; math.Abs(got-0.5) > 0.5*(nearFarBy-1)+1e-9 {
		t.Errorf("near frame's face width %.3f; want within 5 %% of the largest, 0.5", got)
	}
	if e.far.img.Y[0] == 255 || e.near.img.Y[0] == 255 {
		t.Error("a far/near frame shares the peer's buffer")
	}
	audit := e.auditFrames()
	if len(audit) != session.MaxAuditImages {
		t.Fatalf("%d audit frames; want %d", len(audit), session.MaxAuditImages)
	}
	if first, last := audit[0].t.Sub(t0), audit[len(audit)-1].t.Sub(t0); first > time.Second || last < 7*time.Second {
		t.Errorf("audit frames from %v to %v; want them spread over the 10 s attempt", first, last)
	}
	for i := 1; i < len(audit); i++ {
		if audit[i].t.Sub(audit[i-1].t) < time.Second {
			t.Errorf("audit frames %d and %d are %v apart", i-1, i, audit[i].t.Sub(audit[i-1].t))
		}
	}
	// Far/near copies are bounded by the size change, not the frame count;
	// the audit copies by the doubling spacing.
	if e.copies > 60 {
		t.Errorf("%d evidence copies for %d frames", e.copies, n)
	}
	got := s.chosen()
	if len(got) != 3+session.MaxAuditImages {
		t.Fatalf("chosen %d images; want %d", len(got), 3+session.MaxAuditImages)
	}
	for i, c := range got {
		if !session.ValidImageName(c.name) {
			t.Errorf("image %d named %q", i, c.name)
		}
	}
}

// A frame without a single face in it is never evidence.
func TestEvidenceFramesNeedAFace(t *testing.T) {
	s := newSampler(4)
	for i := range 30 {
		o := frontal(time.Duration(i)*time.Second/15, 0.3, 0)
		o.Faces = i % 2 * 2 // 0 or 2 faces
		s.offer(colourFrame(1), &o)
	}
	if got := s.chosen(); len(got) != 0 {
		t.Errorf("chose %d images from frames without a single face", len(got))
	}
}

// The JPEG is at most imageMaxSide on its long side, decodes to that size,
// and the face box is scaled with it.
func TestEncodeEvidenceScalesFrameAndBox(t *testing.T) {
	src := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	for y := range 480 {
		for x := range 640 {
			src.Y[y*src.YStride+x] = uint8(x / 3)
		}
	}
	for i := range src.Cb {
		src.Cb[i], src.Cr[i] = 100, 150
	}
	smp := &sample{img: *src, box: image.Rect(200, 120, 392, 360)}
	jp, w, h, box, err := encodeEvidence(nil, nil, smp)
	if err != nil {
		t.Fatal(err)
	}
	if w != 480 || h != 360 {
		t.Errorf("encoded %dx%d; want 480x360", w, h)
	}
	want := session.Box{X: 150, Y: 90, W: 144, H: 180}
	if box == nil || *box != want {
		t.Errorf("box %+v; want %+v", box, want)
	}
	img, err := jpeg.Decode(bytes.NewReader(jp))
	if err != nil {
		t.Fatalf("the JPEG does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 480 || b.Dy() != 360 {
		t.Errorf("decoded %v", b)
	}
	// The horizontal ramp survives the scaling: left dark, right bright.
	yc := img.(*image.YCbCr)
	if l, r := yc.Y[180*yc.YStride+10], yc.Y[180*yc.YStride+470]; l > 20 || r < 190 {
		t.Errorf("luma at left %d, right %d; want the ramp kept", l, r)
	}
	if cb := yc.Cb[yc.COffset(240, 180)]; cb < 95 || cb > 105 {
		t.Errorf("Cb %d; want about 100", cb)
	}
	if len(jp) > session.MaxImageBytes/2 {
		t.Errorf("a 480x360 JPEG of %d bytes", len(jp))
	}
}
