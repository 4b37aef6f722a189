package perception

import (
	"fmt"
	"image"

	"gocv.io/x/gocv"
)

// EncodeJPEG encodes a 4:2:0 colour frame as JPEG at quality (1–100) with
// OpenCV's libjpeg: the planes are copied into one I420 buffer, converted
// to BGR (BT.601 video range, as decoded VP8 frames are) and encoded. Measured about ten times cheaper than image/jpeg on
// a 480×360 evidence frame (capture/live's BenchmarkJPEGEncoders), so the
// server encodes the evidence images with it. The JPEG is appended to dst.
func EncodeJPEG(dst []byte, img *image.YCbCr, quality int) ([]byte, error) {
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return nil, fmt.Errorf("perception: encode jpeg: subsampling %v, want 4:2:0", img.SubsampleRatio)
	}
	// I420 needs even sides: an odd last row or column is dropped.
	w, h := img.Rect.Dx()&^1, img.Rect.Dy()&^1
	if w == 0 || h == 0 {
		return nil, fmt.Errorf("perception: encode jpeg: empty %v frame", img.Rect)
	}
	i420 := make([]byte, 0, w*h*3/2)
	for y := range h {
		o := img.YOffset(img.Rect.Min.X, img.Rect.Min.Y+y)
		i420 = append(i420, img.Y[o:o+w]...)
	}
	for _, p := range [][]byte{img.Cb, img.Cr} {
		for y := 0; y < h; y += 2 {
			o := img.COffset(img.Rect.Min.X, img.Rect.Min.Y+y)
			i420 = append(i420, p[o:o+w/2]...)
		}
	}
	m, err := gocv.NewMatFromBytes(h*3/2, w, gocv.MatTypeCV8U, i420)
	if err != nil {
		return nil, fmt.Errorf("perception: encode jpeg: %w", err)
	}
	defer m.Close()
	bgr := gocv.NewMat()
	defer bgr.Close()
	gocv.CvtColor(m, &bgr, gocv.ColorYUVToBGRIYUV)
	out, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, bgr, []int{gocv.IMWriteJpegQuality, quality})
	if err != nil {
		return nil, fmt.Errorf("perception: encode jpeg: %w", err)
	}
	defer out.Close()
	return append(dst, out.GetBytes()...), nil
}
