package e2e_test

import (
	"encoding/base64"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/facegen"
)

// TestConsentStatesKeysBiometricRetention: two API keys with different
// biometric retentions (LIVEGATE_KEY_RETENTION over
// LIVEGATE_BIOMETRIC_RETENTION) each create a session with the same
// verify_image; in Chromium each consent screen states its own key's period,
// in English and in Indonesian.
func TestConsentStatesKeysBiometricRetention(t *testing.T) {
	const bankKey = "e2e_bank_0123456789abcdef"
	s := newStack(t, stackOptions{fake: iceOnly{}, env: map[string]string{
		"LIVEGATE_API_KEYS":            apiKey + "," + bankKey,
		"LIVEGATE_BIOMETRIC_RETENTION": "0s",
		"LIVEGATE_KEY_RETENTION":       api.Key{Secret: bankKey}.ID() + "=36h",
		"LIVEGATE_DATA_KEYS":           "ZTJlLWRhdGEta2V5LTAxMjM0NTY3ODlhYmNkZWYhISE=",
	}})
	path, err := facegen.TestFace("")
	if err != nil {
		t.Fatal(err)
	}
	photo, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b := openBrowser(t, deniedCamera, "")
	for _, tc := range []struct {
		key, locale, want string
	}{
		{apiKey, "en", "only until the check ends, and then deleted at once"},
		{bankKey, "en", "for 36 hours after the check"},
		{apiKey, "id", "hanya sampai pemeriksaan selesai, lalu langsung dihapus"},
		{bankKey, "id", "selama 36 jam setelah pemeriksaan"},
	} {
		code, out := s.apiCallAs(tc.key, "POST", "/face/v1/active-liveness-sessions", map[string]any{
			"success_url":  s.shop + "/done",
			"locale":       tc.locale,
			"verify_image": base64.StdEncoding.EncodeToString(photo),
		})
		pageURL, _ := out["url"].(string)
		if code != http.StatusOK || pageURL == "" {
			t.Fatalf("create (%s): %d %v", tc.locale, code, out)
		}
		b.MustRun("open the consent page",
			chromedp.Navigate(pageURL),
			chromedp.WaitVisible(chromedp.CSS(id("consent-face-data"))),
		)
		if got := b.Text(id("consent-face-data")); !strings.Contains(got, tc.want) {
			t.Errorf("%s, key %s: the consent screen says %q; want %q", tc.locale, tc.key[:8], got, tc.want)
		}
		if got := b.Text(id("consent-retention")); !strings.Contains(got, map[string]string{"en": "7 days", "id": "7 hari"}[tc.locale]) {
			t.Errorf("%s: results line %q lacks the session retention", tc.locale, got)
		}
	}
	noProblems(t, b)
}
