package live

import (
	"context"
	"errors"
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
//
// The reference's embedding is kept sealed for the session (internal/sealed);
// one that does not open (a data key taken out of LIVEGATE_DATA_KEYS while
// the session waited, or a store value tampered with) is logged and gives
// the same verdict as no live face: not identical, confidence 0.
func (s *Service) verify(ctx context.Context, sid string, ref *session.Reference, smp *sampler) *session.VerifyResult {
	if ref == nil || s.cfg.Faces == nil {
		return nil
	}
	th := s.cfg.MatchThreshold
	if th <= 0 {
		th = faceid.DefaultThreshold
	}
	refEmb, err := s.openReference(sid, ref)
	if err != nil {
		s.log.ErrorContext(ctx, "live: the session's reference does not open", "sid", sid, "err", err)
		return &session.VerifyResult{IsIdentical: false, Threshold: th}
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
	_, conf, same := faceid.Verify(refEmb[:], live, th)
	return &session.VerifyResult{MatchConfidence: math.Round(conf*1e5) / 1e5, IsIdentical: same, Threshold: th}
}

// openReference opens a reference's sealed embedding.
func (s *Service) openReference(sid string, ref *session.Reference) (faceid.Embedding, error) {
	if s.cfg.DataKeys == nil {
		return faceid.Embedding{}, errors.New("no data key is configured")
	}
	b, err := s.cfg.DataKeys.Open(sid, session.ReferenceLabel, ref.Sealed)
	if err != nil {
		return faceid.Embedding{}, err
	}
	return faceid.EmbeddingFromBytes(b)
}
