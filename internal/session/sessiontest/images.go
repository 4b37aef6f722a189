package sessiontest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
)

// The evidence images' contract (session.ImageStore), run by TestStore on
// every store: both must implement it.

func imageStore(t *testing.T, st session.Store) session.ImageStore {
	t.Helper()
	is, ok := st.(session.ImageStore)
	if !ok {
		t.Fatalf("%T does not implement session.ImageStore", st)
	}
	return is
}

// testImages returns a full set of images whose bytes (any bytes: the
// stores never open them) say which they are, and whose first holds
// every byte value.
func testImages(clock *Clock) []session.Image {
	names := []string{session.ImageFar, session.ImageNear, session.ImageBest}
	for i := 1; i <= session.MaxAuditImages; i++ {
		names = append(names, session.AuditImageName(i))
	}
	var out []session.Image
	for i, n := range names {
		data := bytes.Repeat([]byte(n), 100)
		if i == 0 {
			for b := range 256 {
				data = append(data, byte(b))
			}
		}
		im := session.Image{Name: n, Width: 480, Height: 360, At: clock.Now().Add(time.Duration(i) * time.Second), Sealed: data}
		if i%2 == 0 {
			im.Box = &session.Box{X: 10 * i, Y: 20, W: 100 + i, H: 120}
		}
		out = append(out, im)
	}
	return out
}

func sameImages(t *testing.T, what string, got, want []session.Image, data bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d images, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Width != w.Width || g.Height != w.Height || !g.At.Equal(w.At) ||
			(g.Box == nil) != (w.Box == nil) || (g.Box != nil && *g.Box != *w.Box) {
			t.Errorf("%s: image %d is %+v, want %+v", what, i, g, w)
		}
		switch {
		case data && !bytes.Equal(g.Sealed, w.Sealed):
			t.Errorf("%s: image %s: bytes differ (%d, want %d)", what, w.Name, len(g.Sealed), len(w.Sealed))
		case !data && g.Sealed != nil:
			t.Errorf("%s: image %s: listing carries %d bytes", what, w.Name, len(g.Sealed))
		}
	}
}

func finished(t *testing.T, st session.Store, clock *Clock, keep time.Duration) *session.Session {
	t.Helper()
	s := NewSession(t, clock.Now())
	s.BiometricRetention = keep
	create(t, st, s)
	return update(t, st, s.ID, func(s *session.Session) error { return s.Finish(success(clock), clock.Now()) })
}

// testImagesRoundTrip: what is put comes back, listed without bytes, in
// full with them, one by one; a second put replaces the first.
func testImagesRoundTrip(t *testing.T, st session.Store, clock *Clock) {
	is, ctx := imageStore(t, st), context.Background()
	s := finished(t, st, clock, time.Hour)
	want := testImages(clock)
	if err := is.PutImages(ctx, s.ID, want, s.BiometricUntil()); err != nil {
		t.Fatalf("PutImages: %v", err)
	}
	got, err := is.Images(ctx, s.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	sameImages(t, "Images(listing)", got, want, false)
	got, err = is.Images(ctx, s.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	sameImages(t, "Images(data)", got, want, true)
	for _, w := range want {
		g, err := is.Image(ctx, s.ID, w.Name)
		if err != nil {
			t.Fatalf("Image(%s): %v", w.Name, err)
		}
		sameImages(t, "Image("+w.Name+")", []session.Image{*g}, []session.Image{w}, true)
	}
	if _, err := is.Image(ctx, s.ID, "meta"); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Image(meta): %v, want ErrNotFound", err)
	}
	// A copy: changing what was returned changes nothing stored.
	got[0].Sealed[0] ^= 0xff
	again, _ := is.Images(ctx, s.ID, true)
	sameImages(t, "after changing a returned copy", again, want, true)

	if err := is.PutImages(ctx, s.ID, want[:1], s.BiometricUntil()); err != nil {
		t.Fatal(err)
	}
	got, _ = is.Images(ctx, s.ID, true)
	sameImages(t, "after a second put", got, want[:1], true)
	if _, err := is.Image(ctx, s.ID, session.ImageNear); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Image(image_near) after a put without it: %v, want ErrNotFound", err)
	}
	// The session itself is untouched.
	sameSession(t, "session after PutImages", get(t, st, s.ID), s)
}

// testImagesRetention: the images live until the moment given, to the
// second, and are then gone from every read.
func testImagesRetention(t *testing.T, st session.Store, clock *Clock) {
	is, ctx := imageStore(t, st), context.Background()
	s := finished(t, st, clock, 2*time.Hour)
	if err := is.PutImages(ctx, s.ID, testImages(clock), s.BiometricUntil()); err != nil {
		t.Fatal(err)
	}
	clock.Set(s.BiometricUntil().Add(-time.Second))
	if got, err := is.Images(ctx, s.ID, false); err != nil || len(got) != session.MaxImages {
		t.Fatalf("a second before the retention ends: %d images, %v", len(got), err)
	}
	clock.Set(s.BiometricUntil())
	if _, err := is.Image(ctx, s.ID, session.ImageBest); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Image at the retention's end: %v, want ErrNotFound", err)
	}
	if got, err := is.Images(ctx, s.ID, true); err != nil || got != nil {
		t.Errorf("Images at the retention's end: %d, %v; want none", len(got), err)
	}
	if n, err := is.DeleteImages(ctx, s.ID); err != nil || n != 0 {
		t.Errorf("DeleteImages after the retention: %d, %v; want 0", n, err)
	}
	if got := get(t, st, s.ID); got.Result == nil || got.Result.Status != "success" {
		t.Errorf("the session's verdict went with its images: %+v", got.Result)
	}
	// A put already past its moment stores nothing.
	if err := is.PutImages(ctx, s.ID, testImages(clock), clock.Now()); err != nil {
		t.Fatal(err)
	}
	if got, _ := is.Images(ctx, s.ID, false); got != nil {
		t.Errorf("a put past its retention stored %d images", len(got))
	}
}

// testImagesDelete: DeleteImages removes every image at once and says how
// many; a session without images, or unknown, has none to delete.
func testImagesDelete(t *testing.T, st session.Store, clock *Clock) {
	is, ctx := imageStore(t, st), context.Background()
	s := finished(t, st, clock, time.Hour)
	if err := is.PutImages(ctx, s.ID, testImages(clock), s.BiometricUntil()); err != nil {
		t.Fatal(err)
	}
	if n, err := is.DeleteImages(ctx, s.ID); err != nil || n != session.MaxImages {
		t.Fatalf("DeleteImages: %d, %v; want %d", n, err, session.MaxImages)
	}
	if got, err := is.Images(ctx, s.ID, true); err != nil || got != nil {
		t.Errorf("Images after DeleteImages: %d, %v", len(got), err)
	}
	for _, n := range []string{session.ImageFar, session.AuditImageName(4)} {
		if _, err := is.Image(ctx, s.ID, n); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Image(%s) after DeleteImages: %v, want ErrNotFound", n, err)
		}
	}
	if n, err := is.DeleteImages(ctx, s.ID); err != nil || n != 0 {
		t.Errorf("second DeleteImages: %d, %v", n, err)
	}
	unknown := session.NewID()
	if n, err := is.DeleteImages(ctx, unknown); err != nil || n != 0 {
		t.Errorf("DeleteImages(unknown): %d, %v", n, err)
	}
	if got, err := is.Images(ctx, unknown, false); err != nil || got != nil {
		t.Errorf("Images(unknown): %v, %v", got, err)
	}
}

// testImagesRefused: an unknown session, bad names, repeats, empty or
// oversized images and too many are refused, storing nothing.
func testImagesRefused(t *testing.T, st session.Store, clock *Clock) {
	is, ctx := imageStore(t, st), context.Background()
	s := finished(t, st, clock, time.Hour)
	good := testImages(clock)
	if err := is.PutImages(ctx, session.NewID(), good, s.BiometricUntil()); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("PutImages(unknown session): %v, want ErrNotFound", err)
	}
	bad := map[string][]session.Image{
		"bad name":  {{Name: "../x", Sealed: []byte{1}}},
		"meta":      {{Name: "meta", Sealed: []byte{1}}},
		"repeated":  {good[0], good[0]},
		"empty":     {{Name: session.ImageFar}},
		"oversized": {{Name: session.ImageFar, Sealed: make([]byte, session.MaxImageBytes+1)}},
		"too many":  append(testImages(clock), session.Image{Name: "audit_5", Sealed: []byte{1}}),
	}
	for what, imgs := range bad {
		err := is.PutImages(ctx, s.ID, imgs, s.BiometricUntil())
		var se *session.Error
		if !errors.As(err, &se) || se.Code != session.EInvalid {
			t.Errorf("PutImages(%s): %v, want an EInvalid error", what, err)
		}
	}
	if got, _ := is.Images(ctx, s.ID, false); got != nil {
		t.Errorf("refused puts stored %d images", len(got))
	}
}

// testImagesGoWithSession: when the store forgets the session (its
// retention), its images are gone too.
func testImagesGoWithSession(t *testing.T, st session.Store, clock *Clock) {
	is, ctx := imageStore(t, st), context.Background()
	s := finished(t, st, clock, session.DefaultRetention)
	if err := is.PutImages(ctx, s.ID, testImages(clock), s.BiometricUntil()); err != nil {
		t.Fatal(err)
	}
	clock.Set(s.KeepUntil(session.DefaultRetention))
	if _, err := st.Get(ctx, s.ID); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Get past the retention: %v, want ErrNotFound", err)
	}
	if _, err := is.Image(ctx, s.ID, session.ImageFar); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Image past the session's retention: %v, want ErrNotFound", err)
	}
}
