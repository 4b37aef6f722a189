package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/web"
)

// TestConsentStatesBiometricRetention: the consent screen of a session with
// a reference photo states what becomes of its face data for that session —
// kept for its API key's retention, in the end user's language, or used for
// the check only — and a session without one says nothing of it; the
// consent version recorded at Start differs with the period stated.
func TestConsentStatesBiometricRetention(t *testing.T) {
	e := newEnv(t, web.Config{Live: fakeLive{}})
	cases := []struct {
		name      string
		reference bool
		keep      time.Duration
		want      map[string]string // the face-data paragraph holds it; "" = no paragraph
	}{
		{"no reference", false, 48 * time.Hour, map[string]string{"en": "", "id": ""}},
		{"key keeping none", true, 0, map[string]string{"en": "only until the check ends, and then deleted at once", "id": "hanya sampai pemeriksaan selesai, lalu langsung dihapus"}},
		{"key keeping 2 days", true, 48 * time.Hour, map[string]string{"en": "encrypted, for 2 days after the check", "id": "terenkripsi selama 2 hari setelah pemeriksaan"}},
		{"key keeping 36 hours", true, 36 * time.Hour, map[string]string{"en": "encrypted, for 36 hours after the check", "id": "terenkripsi selama 36 jam setelah pemeriksaan"}},
	}
	for _, lang := range []string{"en", "id"} {
		versions := map[string]string{}
		for _, tc := range cases {
			s, err := session.New(session.Params{Kind: session.KindActive, SuccessURL: "https://shop.example/done",
				Locale: lang, BiometricRetention: tc.keep}, e.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if tc.reference {
				s.Reference = &session.Reference{Sealed: []byte{1, 2, 3}, Quality: "high"}
			}
			if err := e.store.Create(context.Background(), s); err != nil {
				t.Fatal(err)
			}
			a := e.browser()
			r := a.get("/s/" + s.ID)
			r.wantScreen(t, http.StatusOK, "screen-consent")
			if !strings.Contains(text(r.testID("consent-retention")), map[string]string{"en": "7 days", "id": "7 hari"}[lang]) {
				t.Errorf("%s, %s: results line %q lacks the session retention", lang, tc.name, text(r.testID("consent-retention")))
			}
			face := r.testID("consent-face-data")
			switch want := tc.want[lang]; {
			case want == "" && face != nil:
				t.Errorf("%s, %s: face-data paragraph %q; want none", lang, tc.name, text(face))
			case want != "" && (face == nil || !strings.Contains(text(face), want)):
				t.Errorf("%s, %s: face-data paragraph %v; want one saying %q", lang, tc.name, face, want)
			}
			a.start(s.ID).wantScreen(t, http.StatusOK, "screen-capture")
			versions[tc.name] = e.get(s.ID).ConsentVersion
		}
		seen := map[string]string{}
		for name, v := range versions {
			if !strings.HasPrefix(v, lang+"-") {
				t.Errorf("%s, %s: consent version %q", lang, name, v)
			}
			if other, dup := seen[v]; dup {
				t.Errorf("%s: %s and %s read different texts under one consent version %s", lang, name, other, v)
			}
			seen[v] = name
		}
	}
}

// TestConsentStatesPictures: on a server that keeps evidence images, the
// consent screen of an active session whose biometric retention outlasts
// the check says still pictures of the face are kept, and for how long, in
// the end user's language; under a retention of 0s, for a passive session,
// or on a server that keeps none, it says no picture is kept. The consent
// version recorded at Start differs between the two texts.
func TestConsentStatesPictures(t *testing.T) {
	cases := []struct {
		name  string
		keeps bool
		kind  session.Kind
		keep  time.Duration
		want  map[string]string
	}{
		{"kept 2 days", true, session.KindActive, 48 * time.Hour, map[string]string{"en": "still pictures of your face from the check (at most seven), encrypted, for 2 days", "id": "gambar diam wajah Anda dari pemeriksaan ini (paling banyak tujuh), terenkripsi, selama 2 hari"}},
		{"retention 0s", true, session.KindActive, 0, map[string]string{"en": "No picture of your face is kept", "id": "Tidak ada gambar wajah Anda yang disimpan"}},
		{"passive", true, session.KindPassive, 48 * time.Hour, map[string]string{"en": "No picture of your face is kept", "id": "Tidak ada gambar wajah Anda yang disimpan"}},
		{"server keeps none", false, session.KindActive, 48 * time.Hour, map[string]string{"en": "No picture of your face is kept", "id": "Tidak ada gambar wajah Anda yang disimpan"}},
	}
	for _, lang := range []string{"en", "id"} {
		versions := map[string]string{}
		for _, tc := range cases {
			e := newEnv(t, web.Config{Live: fakeLive{}, KeepsImages: tc.keeps})
			s, err := session.New(session.Params{Kind: tc.kind, SuccessURL: "https://shop.example/done",
				Locale: lang, BiometricRetention: tc.keep}, e.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if err := e.store.Create(context.Background(), s); err != nil {
				t.Fatal(err)
			}
			a := e.browser()
			r := a.get("/s/" + s.ID)
			r.wantScreen(t, http.StatusOK, "screen-consent")
			if got := text(r.testID("consent-pictures")); !strings.Contains(got, tc.want[lang]) {
				t.Errorf("%s, %s: pictures paragraph %q; want it to say %q", lang, tc.name, got, tc.want[lang])
			}
			if tc.kind == session.KindActive {
				a.start(s.ID).wantScreen(t, http.StatusOK, "screen-capture")
				versions[tc.name] = e.get(s.ID).ConsentVersion
			}
		}
		if versions["kept 2 days"] == versions["retention 0s"] || versions["retention 0s"] != versions["server keeps none"] {
			t.Errorf("%s: consent versions %v; want the kept text's own version, and one for the two no-picture texts", lang, versions)
		}
	}
}
