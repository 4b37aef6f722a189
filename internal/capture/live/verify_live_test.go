package live_test

import (
	"context"
	"image"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/capture/live"
	"github.com/livegate/livegate/internal/faceid"
	"github.com/livegate/livegate/internal/gesture"
	"github.com/livegate/livegate/internal/sealed"
	"github.com/livegate/livegate/internal/session"
)

// fakeFaces embeds every frame as one face with the embedding e and counts
// its calls.
type fakeFaces struct {
	e     faceid.Embedding
	calls atomic.Int32
}

func (f *fakeFaces) EmbedFace(context.Context, image.Image) (int, faceid.Embedding, error) {
	f.calls.Add(1)
	return 1, f.e, nil
}

// A session created with a reference gets verify_result from the sampled
// frames of the attempt that finished it: identical when the live face
// embeds near the reference, not identical (and still a live success: two
// separate verdicts) when it embeds far from it; a session without a
// reference has none and its frames are never embedded. A reference that
// does not open (sealed under a key the server no longer holds, or for
// another session) is not identical with confidence 0, whatever the face.
func TestVerifyResultFromTheSampledFrames(t *testing.T) {
	var near, far faceid.Embedding
	for i := range near {
		near[i] = 0.08
		far[i] = -0.08
	}
	keys, other := sealed.Ephemeral(), sealed.Ephemeral()
	for _, tc := range []struct {
		name      string
		ref       bool
		sealWith  *sealed.Keyring
		sealFor   string // the sid sealed for; "" is the session's own
		live      faceid.Embedding
		identical bool
	}{
		{"same person", true, keys, "", near, true},
		{"another person", true, keys, "", far, false},
		{"no reference", false, nil, "", near, false},
		{"reference under an unknown key", true, other, "", near, false},
		{"reference of another session", true, keys, "another-sid", near, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			faces := &fakeFaces{e: tc.live}
			r := newRig(t, rigOptions{cfg: func(c *live.Config) {
				c.AntiSpoof = live.AntiSpoofFunc(func(image.Image, gesture.Face) (float64, error) { return 0.9, nil })
				c.Passive = live.PassiveConfig{Hold: 200 * time.Millisecond, HoldFrames: 3, Burst: time.Second}
				c.Faces = faces
				c.DataKeys = keys
			}})
			s, err := session.New(session.Params{Kind: session.KindPassive, Owner: "k", SuccessURL: "https://shop.example/done", MaxAttempts: 1}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if tc.ref {
				sid := tc.sealFor
				if sid == "" {
					sid = s.ID
				}
				v, err := tc.sealWith.Seal(sid, session.ReferenceLabel, near.Bytes())
				if err != nil {
					t.Fatal(err)
				}
				s.Reference = &session.Reference{Sealed: v, Quality: "high"}
			}
			if err := s.Claim(browser, time.Now()); err != nil {
				t.Fatal(err)
			}
			if err := r.store.Create(context.Background(), s); err != nil {
				t.Fatal(err)
			}
			out := r.run(r.mustDial(s.ID), client.RunOptions{Clips: []*client.Clip{blankClip(t)}})
			if out.Result != "success" {
				t.Fatalf("outcome %q (messages %v); want success", out.Result, types(out))
			}
			res := r.get(s.ID).Result
			if !tc.ref {
				if res.Verify != nil || faces.calls.Load() != 0 {
					t.Fatalf("verify %+v after %d embeddings; want none without a reference", res.Verify, faces.calls.Load())
				}
				return
			}
			if res.Verify == nil {
				t.Fatal("no verify_result; want one for a session with a reference")
			}
			if tc.sealWith != keys || tc.sealFor != "" {
				if v := res.Verify; v.IsIdentical || v.MatchConfidence != 0 {
					t.Errorf("verify %+v for a reference that does not open; want not identical, confidence 0", *v)
				}
				return
			}
			if faces.calls.Load() == 0 {
				t.Fatalf("verify %+v after %d embeddings; want a verdict from the sampled frames", res.Verify, faces.calls.Load())
			}
			v := res.Verify
			if v.IsIdentical != tc.identical || v.Threshold != faceid.DefaultThreshold || (v.MatchConfidence > 0.5) != tc.identical {
				t.Errorf("verify %+v; want identical %v at threshold %v", *v, tc.identical, faceid.DefaultThreshold)
			}
		})
	}
}
