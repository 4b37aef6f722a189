package facegen

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Y4MWriter writes YUV4MPEG2 4:2:0 video (C420), the format Chromium's fake
// camera (--use-file-for-fake-video-capture) and the project's test client
// play.
type Y4MWriter struct {
	w      *bufio.Writer
	width  int
	height int
	frames int
}

// NewY4MWriter writes the stream header. Width and height must be even.
func NewY4MWriter(w io.Writer, width, height, fps int) (*Y4MWriter, error) {
	if width <= 0 || height <= 0 || width%2 != 0 || height%2 != 0 {
		return nil, fmt.Errorf("facegen: y4m: size %dx%d must be positive and even", width, height)
	}
	if fps <= 0 {
		return nil, fmt.Errorf("facegen: y4m: fps %d must be positive", fps)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420\n", width, height, fps); err != nil {
		return nil, fmt.Errorf("facegen: y4m header: %w", err)
	}
	return &Y4MWriter{w: bw, width: width, height: height}, nil
}

// WriteFrame writes one frame given as planes Y (w*h), U and V (w/2*h/2).
func (y *Y4MWriter) WriteFrame(f *YUVFrame) error {
	if f.W != y.width || f.H != y.height {
		return fmt.Errorf("facegen: y4m frame %d: size %dx%d, stream is %dx%d", y.frames, f.W, f.H, y.width, y.height)
	}
	if _, err := y.w.WriteString("FRAME\n"); err != nil {
		return fmt.Errorf("facegen: y4m frame %d: %w", y.frames, err)
	}
	for _, p := range [][]byte{f.Y, f.U, f.V} {
		if _, err := y.w.Write(p); err != nil {
			return fmt.Errorf("facegen: y4m frame %d: %w", y.frames, err)
		}
	}
	y.frames++
	return nil
}

// Frames is the number of frames written so far.
func (y *Y4MWriter) Frames() int { return y.frames }

// Flush writes buffered data to the underlying writer.
func (y *Y4MWriter) Flush() error { return y.w.Flush() }

// YUVFrame is an I420 picture: full-resolution Y, quarter-resolution U and V.
type YUVFrame struct {
	W, H    int
	Y, U, V []byte
}

// NewYUVFrame allocates a frame of the given (even) size.
func NewYUVFrame(w, h int) *YUVFrame {
	return &YUVFrame{W: w, H: h, Y: make([]byte, w*h), U: make([]byte, w*h/4), V: make([]byte, w*h/4)}
}

// Y4MHeader is what a stream header says.
type Y4MHeader struct {
	Width, Height  int
	FPSNum, FPSDen int
	Colorspace     string // "420" when absent, as the format says
}

// Y4MReader reads a YUV4MPEG2 4:2:0 stream, for tests and tools.
type Y4MReader struct {
	r      *bufio.Reader
	Header Y4MHeader
}

// NewY4MReader reads and checks the stream header.
func NewY4MReader(r io.Reader) (*Y4MReader, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("facegen: y4m header: %w", err)
	}
	fields := strings.Fields(line)
	if len(fields) == 0 || fields[0] != "YUV4MPEG2" {
		return nil, errors.New("facegen: y4m: missing YUV4MPEG2 signature")
	}
	h := Y4MHeader{Colorspace: "420"}
	for _, f := range fields[1:] {
		switch f[0] {
		case 'W':
			h.Width, err = strconv.Atoi(f[1:])
		case 'H':
			h.Height, err = strconv.Atoi(f[1:])
		case 'F':
			n, d, ok := strings.Cut(f[1:], ":")
			if !ok {
				return nil, fmt.Errorf("facegen: y4m: bad frame rate %q", f)
			}
			if h.FPSNum, err = strconv.Atoi(n); err == nil {
				h.FPSDen, err = strconv.Atoi(d)
			}
		case 'C':
			h.Colorspace = f[1:]
		}
		if err != nil {
			return nil, fmt.Errorf("facegen: y4m: bad header field %q: %w", f, err)
		}
	}
	if !strings.HasPrefix(h.Colorspace, "420") {
		return nil, fmt.Errorf("facegen: y4m: colorspace C%s is not 4:2:0", h.Colorspace)
	}
	if h.Width <= 0 || h.Height <= 0 || h.Width%2 != 0 || h.Height%2 != 0 {
		return nil, fmt.Errorf("facegen: y4m: bad size %dx%d", h.Width, h.Height)
	}
	return &Y4MReader{r: br, Header: h}, nil
}

// ReadFrame reads the next frame into f (allocated when nil) and returns it;
// io.EOF at the end of the stream.
func (y *Y4MReader) ReadFrame(f *YUVFrame) (*YUVFrame, error) {
	line, err := y.r.ReadString('\n')
	if err == io.EOF && line == "" {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("facegen: y4m frame header: %w", err)
	}
	if !strings.HasPrefix(line, "FRAME") {
		return nil, fmt.Errorf("facegen: y4m: want FRAME, got %q", strings.TrimSpace(line))
	}
	if f == nil || f.W != y.Header.Width || f.H != y.Header.Height {
		f = NewYUVFrame(y.Header.Width, y.Header.Height)
	}
	for _, p := range [][]byte{f.Y, f.U, f.V} {
		if _, err := io.ReadFull(y.r, p); err != nil {
			return nil, fmt.Errorf("facegen: y4m frame data: %w", err)
		}
	}
	return f, nil
}

// Gray returns the frame's Y plane as a grey image (sharing its memory),
// which is what the gesture engine reads.
func (f *YUVFrame) Gray() *image.Gray {
	return &image.Gray{Pix: f.Y, Stride: f.W, Rect: image.Rect(0, 0, f.W, f.H)}
}

// YCbCr returns the frame as a 4:2:0 colour image (sharing its memory),
// which is what a VP8 encoder takes.
func (f *YUVFrame) YCbCr() *image.YCbCr {
	return &image.YCbCr{Y: f.Y, Cb: f.U, Cr: f.V, YStride: f.W, CStride: f.W / 2,
		SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, f.W, f.H)}
}

// ReadY4M reads every frame of the y4m file at path, and its frame rate
// (rounded; 0 when the header names none).
func ReadY4M(path string) ([]*image.YCbCr, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	rd, err := NewY4MReader(f)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	fps := 0
	if h := rd.Header; h.FPSNum > 0 && h.FPSDen > 0 {
		fps = max(1, int(math.Round(float64(h.FPSNum)/float64(h.FPSDen))))
	}
	var out []*image.YCbCr
	for {
		fr, err := rd.ReadFrame(nil)
		if errors.Is(err, io.EOF) {
			return out, fps, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%s frame %d: %w", path, len(out), err)
		}
		out = append(out, fr.YCbCr())
	}
}
