package api

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"math"
	"net/http"

	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/liveness"
	"github.com/livegate/livegate/internal/session"
)

// PassiveChecker judges one still image for passive liveness: it counts the
// faces and, when there is exactly one, gives the anti-spoofing model's
// probability (0–1) that the face is real rather than a print or a screen.
// perception.Passive implements it.
type PassiveChecker interface {
	CheckPassive(ctx context.Context, img image.Image) (faces int, pReal float64, err error)
}

// GLAIR's passive liveness result statuses (seed 001).
const (
	SpoofHigh     = "HIGH"
	SpoofModerate = "MODERATE"
	SpoofLow      = "LOW"
)

// SpoofBands are the cut points of spoof_percentage (0–1, how likely the
// face is a spoof): HIGH above High, MODERATE above Moderate, LOW at or
// below Moderate.
type SpoofBands struct {
	High, Moderate float64
}

// DefaultSpoofBands are the documented defaults (README, "Presentation-
// attack evaluation"): MODERATE starts where the model's real-probability
// falls under the fusion's default threshold (liveness.Config.ModelThreshold
// 0.5), so that LOW is exactly a passing liveness_score; HIGH (a
// real-probability under 0.2) holds the real recaptured frames measured so
// far (0.001–0.06) and none of the evaluation's real bona fide media (0.646
// and up).
var DefaultSpoofBands = SpoofBands{High: 0.8, Moderate: 0.5}

// Validate reports bands that are out of order or outside [0, 1).
func (b SpoofBands) Validate() error {
	if !(b.Moderate >= 0 && b.Moderate <= b.High && b.High < 1) {
		return fmt.Errorf("want 0 ≤ moderate (%v) ≤ high (%v) < 1", b.Moderate, b.High)
	}
	return nil
}

// Band names the band of a spoof percentage.
func (b SpoofBands) Band(spoof float64) string {
	switch {
	case spoof > b.High:
		return SpoofHigh
	case spoof > b.Moderate:
		return SpoofModerate
	}
	return SpoofLow
}

// passiveResult is GLAIR's result object: spoof_percentage 0–1 and status.
type passiveResult struct {
	SpoofPercentage float64 `json:"spoof_percentage"`
	Status          string  `json:"status"`
}

// passiveResponse is GLAIR's answer.
type passiveResponse struct {
	Status string        `json:"status"`
	Result passiveResult `json:"result"`
}

// passiveJudged is GLAIR's answer for one judged face plus livegate's
// extensions: liveness_score 0–100, attack_type (null when the score
// passes) and the fusion's per-signal breakdown (for one image only the
// model signal has data).
type passiveJudged struct {
	passiveResponse
	LivenessScore float64           `json:"liveness_score"`
	AttackType    *string           `json:"attack_type"`
	Signals       []liveness.Signal `json:"signals"`
}

// passiveLiveness serves POST /face/v1/passive-liveness: multipart "image"
// (JPEG or PNG, at most MaxImageBytes, MaxImageSide and MaxDecodedBytes).
func passiveLiveness(pc PassiveChecker, bands SpoofBands, fuse liveness.Config, log *slog.Logger) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, _ string) {
		if pc == nil {
			writeError(w, r, log, session.Errorf(session.EUnavailable, "the passive liveness check is not available on this server"))
			return
		}
		data, _, err := readImageForm(w, r, false)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		img, err := decodeImage(data)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		faces, pReal, err := pc.CheckPassive(r.Context(), img)
		if err != nil {
			log.ErrorContext(r.Context(), "passive liveness: check failed", "err", err)
			httpx.WriteError(w, http.StatusInternalServerError, "internal server error")
			return
		}
		switch {
		case faces == 0:
			writeJSON(w, r, log, http.StatusOK, passiveResponse{Status: "failed", Result: passiveResult{SpoofPercentage: 1, Status: string(session.GestureNoFace)}})
			return
		case faces > 1:
			writeJSON(w, r, log, http.StatusOK, passiveResponse{Status: "failed", Result: passiveResult{SpoofPercentage: 1, Status: string(session.GestureTooManyFaces)}})
			return
		}
		pReal = max(0, min(1, pReal))
		// GLAIR's samples carry five decimals.
		spoof := math.Round((1-pReal)*1e5) / 1e5
		v := fuse.Fuse(liveness.Evidence{ModelScores: []float64{pReal}})
		writeJSON(w, r, log, http.StatusOK, passiveJudged{
			passiveResponse: passiveResponse{Status: "success", Result: passiveResult{SpoofPercentage: spoof, Status: bands.Band(spoof)}},
			LivenessScore:   v.Score,
			AttackType:      v.AttackType,
			Signals:         v.Signals,
		})
	}
}
