package api

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	_ "image/jpeg" // the endpoint takes JPEG and PNG
	_ "image/png"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/session"
)

// MaxImageBytes bounds the image of the single-image endpoints (GLAIR:
// 5 MB).
const MaxImageBytes = 5 << 20

// MaxImageSide is the widest and tallest image the single-image endpoints
// take: the face detector's limit (perception.MaxInputSize, which
// internal/server's tests hold equal to it), so that what the engine would
// refuse is refused as bad input before it is decoded.
const MaxImageSide = 4096

// MaxDecodedBytes bounds the memory a decoded image may take. A small,
// highly compressed file can declare a picture of hundreds of megabytes
// (a 300 KB PNG of 6300×6300 16-bit RGBA decodes into 318 MB), so the
// header's size times the bytes per pixel of its colour model is checked
// before anything is decoded.
const MaxDecodedBytes = 64 << 20

// StillChecker judges one still image for a gesture, with absolute
// thresholds (there is no neutral face to compare with). It answers GLAIR's
// gesture_status (MATCH, NOT_MATCH, "face not detected", "too many faces
// detected") and detected_gesture (empty when there is no single face).
// gesture.StillChecker implements it.
type StillChecker interface {
	CheckStill(ctx context.Context, img image.Image, g session.Gesture) (session.GestureStatus, session.Gesture, error)
}

// activeLivenessResponse is GLAIR's answer for one image.
type activeLivenessResponse struct {
	Status string      `json:"status"`
	Result glairResult `json:"result"`
}

// activeLiveness serves POST /face/v1/active-liveness: multipart "image"
// (JPEG or PNG, at most MaxImageBytes) and "gesture-code".
func activeLiveness(still StillChecker, log *slog.Logger) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, _ string) {
		if still == nil {
			writeError(w, r, log, session.Errorf(session.EUnavailable, "the single-image check is not available on this server"))
			return
		}
		data, code, err := readImageForm(w, r, true)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		g, err := session.ParseGesture(code)
		if err != nil {
			writeError(w, r, log, session.Errorf(session.EInvalid, "unknown gesture-code %q", code))
			return
		}
		img, err := decodeImage(data)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		st, detected, err := still.CheckStill(r.Context(), img, g)
		if err != nil {
			log.ErrorContext(r.Context(), "active liveness: check failed", "err", err)
			httpx.WriteError(w, http.StatusInternalServerError, "internal server error")
			return
		}
		resp := activeLivenessResponse{Status: "success", Result: glairResult{GestureStatus: st, DetectedGesture: detected}}
		if st == session.GestureNoFace || st == session.GestureTooManyFaces {
			resp.Status = "failed"
		}
		writeJSON(w, r, log, http.StatusOK, resp)
	}
}

// readImageForm reads the multipart form's image (at most MaxImageBytes)
// and, when withCode, its gesture-code, in any order; other parts are
// skipped.
func readImageForm(w http.ResponseWriter, r *http.Request, withCode bool) ([]byte, string, error) {
	fields := "image"
	if withCode {
		fields = "image and gesture-code"
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, "", session.Errorf(session.EInvalid, "the body must be multipart/form-data with %s", fields)
	}
	// The image plus the form's other fields and boundaries.
	r.Body = http.MaxBytesReader(w, r.Body, MaxImageBytes+MaxBodyBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", session.Errorf(session.EInvalid, "the body must be multipart/form-data with %s", fields)
	}
	var (
		data     []byte
		haveImg  bool
		code     string
		haveCode bool
	)
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", formError(err)
		}
		switch p.FormName() {
		case "image":
			if haveImg {
				return nil, "", session.Errorf(session.EInvalid, "only one image may be sent")
			}
			data, err = io.ReadAll(io.LimitReader(p, MaxImageBytes+1))
			if err != nil {
				return nil, "", formError(err)
			}
			if len(data) > MaxImageBytes {
				return nil, "", session.Errorf(session.ETooLarge, "image must be at most %d bytes", MaxImageBytes)
			}
			haveImg = true
		case "gesture-code":
			if !withCode {
				if _, err := io.Copy(io.Discard, p); err != nil {
					return nil, "", formError(err)
				}
				continue
			}
			b, err := io.ReadAll(io.LimitReader(p, 65))
			if err != nil {
				return nil, "", formError(err)
			}
			code, haveCode = strings.TrimSpace(string(b)), true
		default:
			if _, err := io.Copy(io.Discard, p); err != nil {
				return nil, "", formError(err)
			}
		}
	}
	switch {
	case !haveImg:
		return nil, "", session.Errorf(session.EInvalid, "image is required")
	case len(data) == 0:
		return nil, "", session.Errorf(session.EInvalid, "image is empty")
	case withCode && (!haveCode || code == ""):
		return nil, "", session.Errorf(session.EInvalid, "gesture-code is required")
	}
	return data, code, nil
}

func formError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return session.Errorf(session.ETooLarge, "image must be at most %d bytes", MaxImageBytes)
	}
	return session.Errorf(session.EInvalid, "malformed multipart body: %v", err)
}

// checkImageConfig refuses, from the header alone, an image whose decoding
// would exceed MaxImageSide or MaxDecodedBytes.
func checkImageConfig(cfg image.Config) error {
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxImageSide || cfg.Height > MaxImageSide {
		return session.Errorf(session.EInvalid, "image is %d×%d pixels; it must be at most %d×%d", cfg.Width, cfg.Height, MaxImageSide, MaxImageSide)
	}
	if n := int64(cfg.Width) * int64(cfg.Height) * int64(bytesPerPixel(cfg.ColorModel)); n > MaxDecodedBytes {
		return session.Errorf(session.EInvalid, "image is %d×%d pixels of %d bytes each; it must decode into at most %d MB (send 8-bit colour or a smaller picture)",
			cfg.Width, cfg.Height, bytesPerPixel(cfg.ColorModel), MaxDecodedBytes>>20)
	}
	return nil
}

// bytesPerPixel is what the standard decoders allocate per pixel for a
// colour model (JPEG's YCbCr is counted as 4:4:4, its largest layout).
func bytesPerPixel(m color.Model) int {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4 // RGBA, NRGBA, CMYK
}

// decodeImage decodes a JPEG or PNG, after checking its declared size.
func decodeImage(data []byte) (image.Image, error) {
	switch http.DetectContentType(data) {
	case "image/jpeg", "image/png":
	default:
		return nil, session.Errorf(session.EInvalid, "image must be a JPEG or PNG picture")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, session.Errorf(session.EInvalid, "image cannot be decoded: %v", err)
	}
	if err := checkImageConfig(cfg); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, session.Errorf(session.EInvalid, "image cannot be decoded: %v", err)
	}
	return img, nil
}
