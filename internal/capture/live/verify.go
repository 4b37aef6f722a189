package live

import (
	"context"
	"image"
	"math"

	"github.com/livegate/livegate/internal/faceid"
	"github.com/livegate/livegate/internal/session"
)

// FaceEmbedder finds the faces of an image and embeds the one face:
// perception.FaceEmbedder is one. It reaches the Service through Config, so
// that capture never imports OpenCV.
type FaceEmbedder interface {
	EmbedFace(ctx context.Context, img image.Image) (faces int, e faceid.Embedding, err error)
}

// verify compares the live face of an attempt with the session's
// reference (liveness with verify): the attempt's sampled frames (the
// best frontal ones, already kept for the anti-spoofing model) are
// embedded, off the per-frame path, and their mean is compared with the
// reference. Nil when the session has no reference or no embedder is
// configured. A reference and no live frame with one face gives a
// verdict too: not identical, confidence 0 — liveness and identity are
// separate verdicts, and a session that cannot show whose face it was
// says so.
func (s *Service) verify(ctx context.Context, ref *session.Reference, smp *sampler) *session.VerifyResult {
	if ref == nil || s.cfg.Faces == nil {
		return nil
	}
	th := s.cfg.MatchThreshold
	if th <= 0 {
		th = faceid.DefaultThreshold
	}
	var live []faceid.Embedding
	if smp != nil {
		for _, k := range smp.samples() {
			n, e, err := s.cfg.Faces.EmbedFace(ctx, &k.img)
			if err != nil {
				s.log.WarnContext(ctx, "live: face embedding", "err", err)
				continue
			}
			if n == 1 {
				live = append(live, e)
			}
		}
	}
	_, conf, same := faceid.Verify(ref.Embedding, live, th)
	return &session.VerifyResult{MatchConfidence: math.Round(conf*1e5) / 1e5, IsIdentical: same, Threshold: th}
}
