package e2e_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCameraAskedAtAnalysedRate: the page asks the camera for the frame
// rate the server analyses (LIVEGATE_ANALYSIS_FPS, 15 frames/s by default),
// since the server decodes every frame it receives. Chromium's fake camera
// asked for no rate runs faster (20 frames/s), so it is the page's
// constraint that brings the track down to the server's rate. (Chromium
// meets the ideal by itself; the max is for browsers and cameras that would
// otherwise pick a faster native mode, which this fake camera cannot show.)
func TestCameraAskedAtAnalysedRate(t *testing.T) {
	for _, tc := range []struct {
		env  string // LIVEGATE_ANALYSIS_FPS; "" for the default
		want float64
	}{{"", 15}, {"10", 10}} {
		t.Run(fmt.Sprintf("%v_fps", tc.want), func(t *testing.T) {
			env := map[string]string{}
			if tc.env != "" {
				env["LIVEGATE_ANALYSIS_FPS"] = tc.env
			}
			s := newStack(t, stackOptions{fake: iceOnly{}, env: env})
			_, pageURL := s.session(nil)
			b := openBrowser(t, defaultCamera, "")
			startCapture(t, b, pageURL)
			if err := b.Run(10*time.Second, chromedp.Poll[chromedp.Void](`!!document.getElementById("preview").srcObject`)); err != nil {
				t.Fatalf("the page never showed the camera: %v", err)
			}
			rate := func(expr string) float64 {
				t.Helper()
				s := evalString(b, expr)
				f, err := strconv.ParseFloat(s, 64)
				if err != nil {
					t.Fatalf("%s: %q", expr, s)
				}
				return f
			}
			page := rate(`String(document.getElementById("preview").srcObject.getVideoTracks()[0].getSettings().frameRate)`)
			evalString(b, `window.__freeRate = ""; navigator.mediaDevices.getUserMedia({video: true}).then(
				s => { window.__freeRate = String(s.getVideoTracks()[0].getSettings().frameRate); s.getTracks().forEach(t => t.stop()); },
				e => { window.__freeRate = "error " + e.name; }); "asked"`)
			if err := b.Run(10*time.Second, chromedp.Poll[chromedp.Void](`window.__freeRate !== ""`)); err != nil {
				t.Fatalf("a second getUserMedia never settled: %v", err)
			}
			free := rate(`window.__freeRate`)
			if free <= tc.want {
				t.Fatalf("the fake camera runs at %v frames/s unasked: this test cannot tell the page's constraint from the camera's own rate", free)
			}
			if page <= 0 || page > tc.want {
				t.Errorf("the page's camera track runs at %v frames/s (the camera's own %v); want at most the analysed %v", page, free, tc.want)
			}
		})
	}
}
