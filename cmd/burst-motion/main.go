// Command burst-motion measures, on a y4m clip, what a passive attempt's
// burst-motion rule sees (internal/capture/live, PassiveConfig.MinMotion):
// over every 2 s window of the clip's frames with one face between -from
// and -to seconds, the largest distance of the 68 landmarks' centroid from
// the window's start, in inter-ocular distances, both unaveraged and on
// 3-frame means (passiveCheck.addMotion's measure), and prints the
// stillest window's figures.
//
//	ffmpeg -i CLIP -vf "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,fps=15" \
//	    -pix_fmt yuv420p -f yuv4mpegpipe clip.y4m
//	go run ./cmd/burst-motion -video clip.y4m -from 0 -to 4
package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"time"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/gesture/landmarks"
	"github.com/livegate/livegate/internal/perception"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "burst-motion:", err)
		os.Exit(1)
	}
}

// point is one frame's landmark centroid and inter-ocular distance.
type point struct{ x, y, iod float64 }

func run() error {
	video := flag.String("video", "", "y4m clip (4:2:0)")
	from := flag.Float64("from", 0, "first second measured")
	to := flag.Float64("to", math.Inf(1), "last second measured")
	window := flag.Float64("window", 2, "window length, seconds (the burst)")
	yunet := flag.String("yunet", "models/yunet/face_detection_yunet_2022mar.onnx", "YuNet 2022mar model")
	flag.Parse()

	model, err := landmarks.Load(landmarks.DefaultModelPath)
	if err != nil {
		return err
	}
	det, err := perception.NewDetector(*yunet)
	if err != nil {
		return err
	}
	defer det.Close()
	pred, err := gesture.NewModelPredictor(model)
	if err != nil {
		return err
	}
	engine := gesture.NewEngine(det, pred)
	f, err := os.Open(*video)
	if err != nil {
		return err
	}
	defer f.Close()
	rd, err := facegen.NewY4MReader(f)
	if err != nil {
		return err
	}
	h := rd.Header
	if h.FPSNum <= 0 || h.FPSDen <= 0 {
		h.FPSNum, h.FPSDen = 15, 1
	}
	fps := float64(h.FPSNum) / float64(h.FPSDen)
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	img := &image.Gray{Rect: image.Rect(0, 0, h.Width, h.Height), Stride: h.Width}
	var frame *facegen.YUVFrame
	var pts []point
	for n := 0; ; n++ {
		if frame, err = rd.ReadFrame(frame); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("frame %d: %w", n, err)
		}
		img.Pix = frame.Y
		t := float64(n) / fps
		o := engine.Process(img, start.Add(time.Duration(t*float64(time.Second))))
		if t < *from || t > *to || o.Faces != 1 {
			continue
		}
		pts = append(pts, centroid(&o.Landmarks))
	}
	w := int(*window * fps)
	if w < 3 || len(pts) < w {
		return fmt.Errorf("%d frames with one face; a window needs %d", len(pts), w)
	}
	minRaw, minMean := math.Inf(1), math.Inf(1)
	for s := 0; s+w <= len(pts); s++ {
		raw, mean := motion(pts[s : s+w])
		minRaw, minMean = min(minRaw, raw), min(minMean, mean)
	}
	fmt.Printf("%s %.1f–%.1f s: %d frames with one face; stillest %.1f s: 3-frame means %.4f, unaveraged %.4f\n",
		*video, *from, min(*to, float64(len(pts))/fps+*from), len(pts), *window, minMean, minRaw)
	return nil
}

// centroid is the mean of the 68 points and the eye centres' distance.
func centroid(lm *gesture.Landmarks) point {
	var p point
	var lx, ly, rx, ry float64
	for i := range lm {
		p.x += float64(lm[i].X) / float64(len(lm))
		p.y += float64(lm[i].Y) / float64(len(lm))
	}
	for i := 36; i < 42; i++ {
		lx += float64(lm[i].X)
		ly += float64(lm[i].Y)
		rx += float64(lm[i+6].X)
		ry += float64(lm[i+6].Y)
	}
	p.iod = math.Hypot(lx-rx, ly-ry) / 6
	return p
}

// motion is a window's motion, in its first frame's inter-ocular
// distances: unaveraged (each frame against the first) and on 3-frame
// means (each mean against the first one).
func motion(w []point) (raw, mean float64) {
	iod := w[0].iod
	for _, p := range w {
		raw = max(raw, math.Hypot(p.x-w[0].x, p.y-w[0].y)/iod)
	}
	var x0, y0 float64
	for i := 2; i < len(w); i++ {
		mx := (w[i].x + w[i-1].x + w[i-2].x) / 3
		my := (w[i].y + w[i-1].y + w[i-2].y) / 3
		if i == 2 {
			x0, y0 = mx, my
		}
		mean = max(mean, math.Hypot(mx-x0, my-y0)/iod)
	}
	return raw, mean
}
