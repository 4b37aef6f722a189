package live_test

import (
	"bytes"
	"context"
	"image/jpeg"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/capture/client"
	"github.com/livegate/livegate/internal/capture/live"
	"github.com/livegate/livegate/internal/sealed"
	"github.com/livegate/livegate/internal/session"
)

// A session that finishes over a real connection keeps its evidence
// images, sealed for it, for its biometric retention: far, near, best and
// audit frames, each a JPEG of the frame that decodes, with its face box;
// the store's trail says so. Without data keys, or with a biometric
// retention of 0, it keeps none.
func TestFinishedSessionKeepsEvidenceImages(t *testing.T) {
	keys := sealed.Ephemeral()
	for _, tc := range []struct {
		name   string
		keys   *sealed.Keyring
		retain time.Duration
		want   bool
	}{
		{"kept", keys, time.Hour, true},
		{"no data keys", nil, time.Hour, false},
		{"no biometric retention", keys, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, rigOptions{cfg: func(c *live.Config) {
				c.DataKeys = tc.keys
				c.Images = c.Store.(session.ImageStore)
			}})
			s, err := session.New(session.Params{
				Kind: session.KindActive, Owner: "k", SuccessURL: "https://shop.example/done",
				Gestures: []string{"HEAD_OPEN_MOUTH"}, MaxAttempts: 1, BiometricRetention: tc.retain,
			}, time.Now())
			if err != nil {
				t.Fatal(err)
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
			imgs, err := r.store.Images(context.Background(), s.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			stored := false
			for _, e := range r.audit(s.ID) {
				if e.Event == live.EventImagesStored {
					stored = true
				}
			}
			if !tc.want {
				if len(imgs) != 0 || stored {
					t.Fatalf("%d images kept (audited %v); want none", len(imgs), stored)
				}
				return
			}
			if !stored {
				t.Error("no images_stored audit entry")
			}
			names := map[string]bool{}
			for _, im := range imgs {
				names[im.Name] = true
				jp, err := keys.Open(s.ID, session.ImageLabel(im.Name), im.Sealed)
				if err != nil {
					t.Fatalf("%s does not open under the session's id and its label: %v", im.Name, err)
				}
				if _, err := keys.Open("another-sid", session.ImageLabel(im.Name), im.Sealed); err == nil {
					t.Errorf("%s opens for another session", im.Name)
				}
				img, err := jpeg.Decode(bytes.NewReader(jp))
				if err != nil {
					t.Fatalf("%s is not a JPEG: %v", im.Name, err)
				}
				if b := img.Bounds(); b.Dx() != im.Width || b.Dy() != im.Height || im.Width != 320 {
					t.Errorf("%s: %v, listed %dx%d; want the 320x240 frame", im.Name, b, im.Width, im.Height)
				}
				if im.Box == nil || *im.Box != (session.Box{X: 100, Y: 60, W: 120, H: 140}) {
					t.Errorf("%s: box %+v; want the engine's face box", im.Name, im.Box)
				}
				if im.At.IsZero() {
					t.Errorf("%s: no time", im.Name)
				}
			}
			for _, n := range []string{session.ImageFar, session.ImageNear, session.ImageBest, session.AuditImageName(1), session.AuditImageName(2)} {
				if !names[n] {
					t.Errorf("no %s among %v", n, names)
				}
			}
		})
	}
}
