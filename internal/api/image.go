package api

import (
	"bytes"
	"context"
	"errors"
	"image"
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

// MaxImageBytes bounds the image of POST /face/v1/active-liveness (GLAIR:
// 5 MB).
const MaxImageBytes = 5 << 20

// maxImagePixels bounds the decoded size, so that a small, highly
// compressed file cannot claim gigabytes of memory.
const maxImagePixels = 40_000_000

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
		data, code, err := readImageForm(w, r)
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
// and gesture-code, in any order; other parts are skipped.
func readImageForm(w http.ResponseWriter, r *http.Request) ([]byte, string, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, "", session.Errorf(session.EInvalid, "the body must be multipart/form-data with image and gesture-code")
	}
	// The image plus the form's other fields and boundaries.
	r.Body = http.MaxBytesReader(w, r.Body, MaxImageBytes+MaxBodyBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", session.Errorf(session.EInvalid, "the body must be multipart/form-data with image and gesture-code")
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
	case !haveCode || code == "":
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
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxImagePixels {
		return nil, session.Errorf(session.EInvalid, "image must have at most %d pixels", maxImagePixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, session.Errorf(session.EInvalid, "image cannot be decoded: %v", err)
	}
	return img, nil
}
