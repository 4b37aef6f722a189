package api

import (
	"context"
	"errors"
	"image"
	"io"
	"log/slog"
	"mime"
	"net/http"

	"github.com/livegate/livegate/internal/faceid"
	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/session"
)

// FaceEmbedder finds the faces of a photo and, when there is exactly one, computes its
// embedding (the zero Embedding otherwise). perception.FaceEmbedder implements it.
type FaceEmbedder interface {
	EmbedFace(ctx context.Context, img image.Image) (faces int, emb faceid.Embedding, err error)
}

// GLAIR's match_status_code values.
const (
	MatchOK               = "MATCH"
	MatchNot              = "NOT_MATCH"
	MatchNoFaceStored     = "NO_FACE_STORED_IMG"
	MatchNoFaceCaptured   = "NO_FACE_CAPTURED_IMG"
	MatchManyFacesStored  = "MANY_FACES_STORED_IMG"
	MatchManyFacesCapture = "MANY_FACES_CAPTURED_IMG"
)

// matchStatus is the human-readable match_status of each code.
var matchStatus = map[string]string{
	MatchOK:               "match",
	MatchNot:              "not match",
	MatchNoFaceStored:     "no face detected in stored image",
	MatchNoFaceCaptured:   "no face detected in captured image",
	MatchManyFacesStored:  "too many faces detected in stored image",
	MatchManyFacesCapture: "too many faces detected in captured image",
}

type matchResponse struct {
	Status string      `json:"status"`
	Result matchResult `json:"result"`
}

type matchResult struct {
	MatchPercentage float64 `json:"match_percentage"`
	MatchStatus     string  `json:"match_status"`
	MatchStatusCode string  `json:"match_status_code"`
}

// match serves POST /face/v1/match: multipart captured_image and stored_image (JPEG or
// PNG, each at most MaxImageBytes). Both faces are embedded and compared: distance under
// threshold is MATCH; match_percentage is faceid.Similarity of the distance, 0.5 at the
// threshold. An image without a face or with more than one answers "failed" with its
// code and match_percentage 0. Nothing about the faces is logged.
func match(faces FaceEmbedder, threshold float64, log *slog.Logger) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, _ string) {
		if faces == nil {
			writeError(w, r, log, session.Errorf(session.EUnavailable, "face matching is not available on this server"))
			return
		}
		captured, stored, err := readMatchForm(w, r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		imgs := [2]image.Image{}
		for i, data := range [][]byte{captured, stored} {
			if imgs[i], err = decodeImage(data); err != nil {
				// Say which of the two files is at fault.
				var se *session.Error
				if errors.As(err, &se) {
					err = session.Errorf(se.Code, "%s: %s", [2]string{"captured_image", "stored_image"}[i], se.Message)
				}
				writeError(w, r, log, err)
				return
			}
		}
		// The two photos are independent: embed them at once.
		type embedded struct {
			n   int
			emb faceid.Embedding
			err error
		}
		var out [2]embedded
		done := make(chan struct{})
		go func() {
			defer close(done)
			out[1].n, out[1].emb, out[1].err = faces.EmbedFace(r.Context(), imgs[1])
		}()
		out[0].n, out[0].emb, out[0].err = faces.EmbedFace(r.Context(), imgs[0])
		<-done
		for _, o := range out {
			if o.err != nil {
				if r.Context().Err() != nil {
					return // the client is gone
				}
				log.ErrorContext(r.Context(), "match: embedding failed", "err", o.err)
				httpx.WriteError(w, http.StatusInternalServerError, "internal server error")
				return
			}
		}
		code := ""
		switch {
		case out[1].n == 0:
			code = MatchNoFaceStored
		case out[1].n > 1:
			code = MatchManyFacesStored
		case out[0].n == 0:
			code = MatchNoFaceCaptured
		case out[0].n > 1:
			code = MatchManyFacesCapture
		}
		if code != "" {
			writeJSON(w, r, log, http.StatusOK, matchResponse{Status: "failed", Result: matchResult{MatchStatus: matchStatus[code], MatchStatusCode: code}})
			return
		}
		d := faceid.Distance(out[0].emb, out[1].emb)
		code = MatchNot
		if d < threshold {
			code = MatchOK
		}
		res := matchResult{MatchPercentage: round5(faceid.Similarity(d, threshold)), MatchStatus: matchStatus[code], MatchStatusCode: code}
		writeJSON(w, r, log, http.StatusOK, matchResponse{Status: "success", Result: res})
	}
}

// round5 rounds to five decimals, as GLAIR's answers show.
func round5(x float64) float64 {
	return float64(int64(x*1e5+0.5)) / 1e5
}

// readMatchForm reads the multipart form's captured_image and stored_image (each at
// most MaxImageBytes), in any order; other parts are skipped.
func readMatchForm(w http.ResponseWriter, r *http.Request) (captured, stored []byte, err error) {
	const want = "the body must be multipart/form-data with captured_image and stored_image"
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, nil, session.Errorf(session.EInvalid, want)
	}
	// Two images plus the form's boundaries and any small fields.
	r.Body = http.MaxBytesReader(w, r.Body, 2*MaxImageBytes+MaxBodyBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, session.Errorf(session.EInvalid, want)
	}
	var seen [2]bool
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, formError(err)
		}
		i, dst := 0, &captured
		switch p.FormName() {
		case "captured_image":
		case "stored_image":
			i, dst = 1, &stored
		default:
			if _, err := io.Copy(io.Discard, p); err != nil {
				return nil, nil, formError(err)
			}
			continue
		}
		if seen[i] {
			return nil, nil, session.Errorf(session.EInvalid, "only one %s may be sent", p.FormName())
		}
		seen[i] = true
		b, err := io.ReadAll(io.LimitReader(p, MaxImageBytes+1))
		if err != nil {
			return nil, nil, formError(err)
		}
		if len(b) > MaxImageBytes {
			return nil, nil, session.Errorf(session.ETooLarge, "%s must be at most %d bytes", p.FormName(), MaxImageBytes)
		}
		if len(b) == 0 {
			return nil, nil, session.Errorf(session.EInvalid, "%s is empty", p.FormName())
		}
		*dst = b
	}
	switch {
	case !seen[0]:
		return nil, nil, session.Errorf(session.EInvalid, "captured_image is required")
	case !seen[1]:
		return nil, nil, session.Errorf(session.EInvalid, "stored_image is required")
	}
	return captured, stored, nil
}
