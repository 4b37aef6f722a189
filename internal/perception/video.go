package perception

import (
	"errors"
	"fmt"
	"image"
	"time"

	"gocv.io/x/gocv"
)

// ReadVideo decodes the video file at path (anything OpenCV's FFmpeg
// backend reads: MP4, GIF, …) and calls fn with its frames resampled to fps
// frames per second, as the live pipeline analyses a camera: each frame is
// the source frame shown at that time, in grey, scaled to fit w×h with its
// aspect ratio kept and centred on black (ffmpeg's
// `scale=…:force_original_aspect_ratio=decrease,pad=…`). t is the frame's
// time from the start of the clip; img is reused between calls. fn returns
// false to stop. It is how the engine is measured on real footage
// (cmd/gesture-eval -footage).
func ReadVideo(path string, fps float64, w, h int, fn func(t time.Duration, img *image.Gray) bool) error {
	if fps <= 0 || w <= 0 || h <= 0 {
		return errors.New("perception: ReadVideo needs fps, w and h > 0")
	}
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		return fmt.Errorf("perception: open %s: %w", path, err)
	}
	defer vc.Close()
	srcFPS := vc.Get(gocv.VideoCaptureFPS)
	if srcFPS <= 0 || srcFPS > 1000 {
		return fmt.Errorf("perception: %s: no frame rate (%v)", path, srcFPS)
	}
	frame, grey, scaled := gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	defer frame.Close()
	defer grey.Close()
	defer scaled.Close()
	out := image.NewGray(image.Rect(0, 0, w, h))
	var (
		src   int // index of the source frame in frame
		next  int // index of the next output frame
		drawn = -1
	)
	for ; vc.Read(&frame); src++ {
		if frame.Empty() {
			break
		}
		// The source frame is on screen from src/srcFPS until the next
		// one; output frame next is due at next/fps.
		end := float64(src+1) / srcFPS
		for float64(next)/fps < end {
			if drawn != src {
				if err := letterbox(frame, &grey, &scaled, out); err != nil {
					return fmt.Errorf("perception: %s frame %d: %w", path, src, err)
				}
				drawn = src
			}
			if !fn(time.Duration(float64(next)/fps*float64(time.Second)), out) {
				return nil
			}
			next++
		}
	}
	if src == 0 {
		return fmt.Errorf("perception: %s: no frame decoded", path)
	}
	return nil
}

// letterbox draws frame (BGR or grey) into out, scaled to fit and centred on
// black.
func letterbox(frame gocv.Mat, grey, scaled *gocv.Mat, out *image.Gray) error {
	switch frame.Channels() {
	case 1:
		frame.CopyTo(grey)
	case 3:
		gocv.CvtColor(frame, grey, gocv.ColorBGRToGray)
	case 4:
		gocv.CvtColor(frame, grey, gocv.ColorBGRAToGray)
	default:
		return fmt.Errorf("%d channels", frame.Channels())
	}
	return fit(*grey, scaled, out.Pix, out.Stride, out.Rect.Dx(), out.Rect.Dy(), 1)
}

// fit scales src (bpp bytes a pixel) to fit w×h with its aspect ratio kept
// and draws it centred on black into pix, rows stride bytes apart.
func fit(src gocv.Mat, scaled *gocv.Mat, pix []byte, stride, w, h, bpp int) error {
	sw, sh := src.Cols(), src.Rows()
	s := min(float64(w)/float64(sw), float64(h)/float64(sh))
	dw, dh := max(1, min(w, int(float64(sw)*s+0.5))), max(1, min(h, int(float64(sh)*s+0.5)))
	gocv.Resize(src, scaled, image.Pt(dw, dh), 0, 0, gocv.InterpolationArea)
	sp, err := scaled.DataPtrUint8()
	if err != nil {
		return err
	}
	clear(pix)
	ox, oy := (w-dw)/2, (h-dh)/2
	step := scaled.Step()
	for y := range dh {
		copy(pix[(oy+y)*stride+bpp*ox:], sp[y*step:y*step+bpp*dw])
	}
	return nil
}

// ReadVideoRGBA decodes the video file at path and calls fn with every
// source frame in colour, scaled to fit w×h with its aspect ratio kept and
// centred on opaque black, as ReadVideo does in grey. img is reused between calls;
// fn returns an error to stop, and ReadVideoRGBA returns it. It is how
// cmd/spoofprobe feeds real clips to the anti-spoofing model.
func ReadVideoRGBA(path string, w, h int, fn func(img *image.RGBA) error) error {
	if w <= 0 || h <= 0 {
		return errors.New("perception: ReadVideoRGBA needs w and h > 0")
	}
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		return fmt.Errorf("perception: open %s: %w", path, err)
	}
	defer vc.Close()
	frame, rgba, scaled := gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	defer frame.Close()
	defer rgba.Close()
	defer scaled.Close()
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	n := 0
	for ; vc.Read(&frame) && !frame.Empty(); n++ {
		switch frame.Channels() {
		case 1:
			gocv.CvtColor(frame, &rgba, gocv.ColorGrayToBGRA) // grey: the same in either order
		case 3:
			gocv.CvtColor(frame, &rgba, gocv.ColorBGRToRGBA)
		case 4:
			gocv.CvtColor(frame, &rgba, gocv.ColorBGRAToRGBA)
		default:
			return fmt.Errorf("perception: %s frame %d: %d channels", path, n, frame.Channels())
		}
		if err := fit(rgba, &scaled, out.Pix, out.Stride, w, h, 4); err != nil {
			return err
		}
		for i := 3; i < len(out.Pix); i += 4 {
			out.Pix[i] = 0xff // the letterbox's bands too: opaque black
		}
		if err := fn(out); err != nil {
			return err
		}
	}
	if n == 0 {
		return fmt.Errorf("perception: %s: no frame decoded", path)
	}
	return nil
}
