package server

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	xdraw "golang.org/x/image/draw"

	"github.com/livegate/livegate/internal/facegen"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/metrics"
	"github.com/livegate/livegate/internal/perception"
)

// benchHandler builds the whole HTTP stack of the server (middleware, API,
// instrumented store) on the store named by kind, as run wires it.
func benchHandler(b *testing.B, kind string) http.Handler {
	b.Helper()
	env := map[string]string{"LIVEGATE_API_KEYS": testKey, "LIVEGATE_PUBLIC_URL": "https://live.example.com", "LIVEGATE_CREATE_RATE": "1000000", "LIVEGATE_CREATE_BURST": "1000000"}
	if kind == "redis" {
		for k, v := range redisEnv(b) {
			env[k] = v
		}
	}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	store, limiter, closeStore, err := openStore(context.Background(), cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(closeStore)
	log := slog.New(slog.DiscardHandler)
	reg := prometheus.NewRegistry()
	h, err := newHandler(cfg, metrics.InstrumentStore(store, reg), limiter, reg, log, nil, newFaceEmbedder(cfg), nil)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

const benchBody = `{"success_url":"https://shop.example/done?order=7","cancel_url":"https://shop.example/back","number_of_gestures":2}`

func benchCreate(b *testing.B, h http.Handler) string {
	req := httptest.NewRequest("POST", "/face/v1/active-liveness-sessions", strings.NewReader(benchBody))
	req.Header.Set("x-api-key", testKey)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	i := strings.Index(body, `"sid":"`)
	return body[i+7 : i+7+32]
}

// BenchmarkAPI measures session creation and retrieval through the full
// handler stack on each store. cmd/benchreport runs it next to
// redis-benchmark for the README.
func BenchmarkAPI(b *testing.B) {
	for _, kind := range []string{"memory", "redis"} {
		b.Run(fmt.Sprintf("create/%s", kind), func(b *testing.B) {
			h := benchHandler(b, kind)
			b.ReportAllocs()
			for b.Loop() {
				benchCreate(b, h)
			}
		})
		b.Run(fmt.Sprintf("get/%s", kind), func(b *testing.B) {
			h := benchHandler(b, kind)
			sid := benchCreate(b, h)
			req := httptest.NewRequest("GET", "/face/v1/active-liveness-sessions/"+sid, nil)
			req.Header.Set("x-api-key", testKey)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("get: %d", rec.Code)
				}
				_, _ = io.Copy(io.Discard, rec.Body)
			}
		})
	}
}

// BenchmarkPassiveLiveness is one POST /face/v1/passive-liveness through
// the whole handler stack with a 640×480 JPEG portrait (multipart parsing,
// header check, decoding, grey copy, YuNet at up to 640 wide, MiniFASNet,
// fusion, JSON), next to its baseline in the same run: one YuNet detection
// of the same frame as the live engine runs it (downscaled to 320 wide).
func BenchmarkPassiveLiveness(b *testing.B) {
	p, err := facegen.TestFace("portrait-obama-2012.jpg")
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	src, _, err := image.Decode(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	frame := image.NewRGBA(image.Rect(0, 0, 640, 480))
	sb := src.Bounds()
	w := sb.Dx() * 480 / sb.Dy()
	xdraw.BiLinear.Scale(frame, image.Rect((640-w)/2, 0, (640+w)/2, 480), src, sb, xdraw.Src, nil)
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, frame, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("image", "face.jpg")
	fw.Write(jpg.Bytes())
	mw.Close()

	b.Run("endpoint", func(b *testing.B) {
		h := benchHandler(b, "memory")
		post := func() {
			req := httptest.NewRequest("POST", "/face/v1/passive-liveness", bytes.NewReader(body.Bytes()))
			req.Header.Set("x-api-key", testKey)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"status":"success"`) {
				b.Fatalf("passive liveness: %d %s", rec.Code, rec.Body)
			}
		}
		post() // loads the models
		b.ReportAllocs()
		for b.Loop() {
			post()
		}
	})
	b.Run("yunet-baseline", func(b *testing.B) {
		yn, err := perception.FindYuNet("")
		if err != nil {
			b.Fatal(err)
		}
		d, err := perception.NewDetector(yn)
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		g := gesture.ToGray(frame)
		b.ReportAllocs()
		for b.Loop() {
			if faces, err := d.Detect(g); err != nil || len(faces) != 1 {
				b.Fatalf("%d faces, %v", len(faces), err)
			}
		}
	})
}
