package web_test

import (
	"context"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"github.com/livegate/livegate/internal/browsertest"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/signedurl"
	"github.com/livegate/livegate/internal/web"
)

var testSigner = func() *signedurl.Signer {
	s, err := signedurl.New(strings.Repeat("report-secret-", 3))
	if err != nil {
		panic(err)
	}
	return s
}()

// turnEvidence is a gesture's evidence as the challenge records it: a
// turn that rises from neutral past its threshold at 10 samples a second
// and, when matched, holds; else it stalls under the threshold and the
// turn's 3D figures say flat.
func turnEvidence(g session.Gesture, matched bool) session.GestureEvidence {
	e := session.GestureEvidence{
		Gesture: g, Status: session.GestureMatch, Measure: "yaw", Threshold: 18, Release: 10,
		Baseline: session.EvidenceBaseline{Yaw: 0.4, Pitch: 0.2, EyeLeft: 0.28, EyeRight: 0.27, Mouth: 0.05},
		Turn:     &session.TurnEvidence{Planar: 0.066, PlanarMin: 0.024, Parallax: 0.165, ParallaxMin: 0.08},
		Screen:   &session.ScreenEvidence{BaselineLineRatio: 1.3, HeldLineRatio: 1.4, Limit: 2.2},
	}
	peak := 28.0
	if !matched {
		e.Status, e.Failure, peak = session.GestureNotMatch, "planar", 24
		e.Turn.Planar, e.Turn.Parallax = 0.011, 0.02
	}
	ms := func(v int64) *int64 { return &v }
	e.OnsetMS, e.HeldMS = ms(600), ms(1000)
	e.EndMS = 1700
	if matched {
		e.MatchedMS = ms(1700)
	} else {
		e.EndMS = 4000
	}
	e.Held = [][2]int64{{1000, min(e.EndMS, 2500)}}
	for t := int64(-800); t <= e.EndMS; t += 100 {
		v := 0.5 * math.Sin(float64(t)/70)
		if t > 600 {
			v = peak * math.Min(1, float64(t-600)/500)
		}
		s := &e.Samples
		s.T = append(s.T, t)
		s.Yaw = append(s.Yaw, float32(v))
		s.Pitch = append(s.Pitch, float32(0.3*math.Cos(float64(t)/90)))
		s.Eye = append(s.Eye, 1)
		s.Mouth = append(s.Mouth, 0.01)
		s.Measure = append(s.Measure, float32(v))
	}
	return e
}

// finished stores a session that ended with evidence for two gestures.
func finished(t testing.TB, store session.Store, now time.Time, locale string) *session.Session {
	t.Helper()
	s, err := session.New(session.Params{Kind: session.KindActive, Owner: "k", SuccessURL: "https://shop.example/done",
		Gestures: []string{"HEAD_LEFT", "HEAD_RIGHT"}, Locale: locale}, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartAttempt(now); err != nil {
		t.Fatal(err)
	}
	score, attack := 12.5, "flat"
	lowScore := 8.0
	err = s.Finish(session.Result{
		Status: "failed", GestureStatus: session.GestureNotMatch, LivenessScore: &score, AttackType: &attack,
		Liveness: &session.LivenessDetail{PassMark: 50, Decisive: "parallax", Signals: []session.LivenessSignal{
			{Name: "parallax", Score: &lowScore, Attack: "flat", Reason: "the turn moved like a flat picture"},
			{Name: "model", Reason: "no frame"},
		}},
		Evidence: []session.GestureEvidence{turnEvidence(session.HeadLeft, true), turnEvidence(session.HeadRight, false)},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func reportLink(sid string, exp time.Time) string {
	return testSigner.Path(web.ReportPath(sid), exp)
}

// TestReportLink: the signed link opens the report; a link changed in any
// way, or expired, is refused with 403; an unknown, unfinished or purged
// session is 404; without a signer there is no report at all.
func TestReportLink(t *testing.T) {
	e := newEnv(t, web.Config{Reports: testSigner})
	now := e.clock.Now()
	s := finished(t, e.store, now, "")
	link := reportLink(s.ID, now.Add(time.Hour))

	r := e.browser().get(link)
	r.wantScreen(t, http.StatusOK, "screen-report")
	if n := len(findAll(findHTML(r), func(n *html.Node) bool { return attr(n, "data-testid") == "report-chart" })); n != 2 {
		t.Errorf("%d charts; want one per gesture, 2", n)
	}
	if got := text(r.testID("report-result")); got != "Failed" {
		t.Errorf("result %q; want Failed", got)
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q; want the strict policy", csp)
	}
	if got := r.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy %q; the link's signature must not leak", got)
	}

	r = e.browser().get(link + "&lang=id")
	if got := text(findAll(r.doc, isH1)[0]); got != "Laporan sesi" {
		t.Errorf("lang=id: title %q; want Laporan sesi", got)
	}

	u, _ := url.Parse(link)
	q := u.Query()
	other := finished(t, e.store, now, "")
	exp := strconv.FormatInt(now.Add(2*time.Hour).Unix(), 10)
	for name, path := range map[string]string{
		"no signature":         web.ReportPath(s.ID),
		"signature changed":    web.ReportPath(s.ID) + "?exp=" + q.Get("exp") + "&sig=" + flip(q.Get("sig")),
		"expiry pushed back":   web.ReportPath(s.ID) + "?exp=" + exp + "&sig=" + q.Get("sig"),
		"another session's id": web.ReportPath(other.ID) + "?" + u.RawQuery,
	} {
		e.browser().get(path).wantScreen(t, http.StatusForbidden, "screen-report-invalid")
		_ = name
	}
	e.clock.Add(time.Hour + time.Second)
	e.browser().get(link).wantScreen(t, http.StatusForbidden, "screen-report-invalid")

	now = e.clock.Now()
	pending := e.create(session.Params{Owner: "k", Gestures: []string{"HEAD_LEFT"}})
	e.browser().get(reportLink(pending.ID, now.Add(time.Hour))).wantScreen(t, http.StatusNotFound, "screen-not-found")
	e.browser().get(reportLink("no-such-session-0123456789", now.Add(time.Hour))).wantScreen(t, http.StatusNotFound, "screen-not-found")

	// Without a signer the route answers 404 whatever the link.
	e2 := newEnv(t, web.Config{})
	s2 := finished(t, e2.store, e2.clock.Now(), "")
	e2.browser().get(reportLink(s2.ID, e2.clock.Now().Add(time.Hour))).wantScreen(t, http.StatusNotFound, "screen-not-found")
}

func flip(sig string) string {
	b := []byte(sig)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

// TestBrowserReport opens the signed report in Chromium in English and
// Indonesian: the charts (inline SVG, no script) and the figures' tables
// are there, nothing breaks the CSP or the console, axe finds nothing
// serious; a tampered link shows the 403 screen. With
// LIVEGATE_REPORT_SCREENSHOT=path it saves the English report there
// (docs/report.png).
func TestBrowserReport(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	base := "http://127.0.0.1:" + strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port)
	store := memstore.New(memstore.WithSweepInterval(0))
	t.Cleanup(func() { _ = store.Close() })
	pages, err := web.New(web.Config{Store: store, Logger: slog.New(slog.DiscardHandler), CookieKeys: testKeys, PublicURL: base, Reports: testSigner})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = pages
	srv.Start()
	t.Cleanup(srv.Close)
	now := time.Now()
	s := finished(t, store, now, "")
	link := base + reportLink(s.ID, now.Add(time.Hour))

	b := browsertest.New(t)
	tid := browsertest.TestID
	for _, tc := range []struct{ lang, title, chartTitle string }{
		{"en", "Session report", "Gesture 1: HEAD_LEFT: Head turn (degrees from neutral)"},
		{"id", "Laporan sesi", "Gerakan 1: HEAD_LEFT: Putaran kepala (derajat dari posisi netral)"},
	} {
		b.MustRun("open the report ("+tc.lang+")", chromedp.Navigate(link+"&lang="+tc.lang), chromedp.WaitVisible(tid("screen-report")))
		if got := b.Text("h1"); got != tc.title {
			t.Errorf("%s: title %q; want %q", tc.lang, got, tc.title)
		}
		type shape struct {
			Charts, Lines, Held, Rows int
			ChartTitle                string
			Width                     float64
		}
		got, err := chromedp.Run(b.Context(), chromedp.Evaluate[shape](`({
			Charts: document.querySelectorAll('svg[data-testid="report-chart"]').length,
			Lines: document.querySelectorAll('[data-testid="chart-line"]').length,
			Held: document.querySelectorAll('[data-testid="chart-held"]').length,
			Rows: document.querySelectorAll('[data-testid="report-figures"] tr').length,
			ChartTitle: document.querySelector('svg[data-testid="report-chart"] title').textContent,
			Width: document.querySelector('svg[data-testid="report-chart"]').getBoundingClientRect().width,
		})`))
		if err != nil {
			t.Fatal(err)
		}
		if got.Charts != 2 || got.Lines != 2 || got.Held != 2 || got.Rows < 16 {
			t.Errorf("%s: %d charts, %d lines, %d held spans, %d figure rows; want 2, 2, 2 and at least 16", tc.lang, got.Charts, got.Lines, got.Held, got.Rows)
		}
		if got.ChartTitle != tc.chartTitle {
			t.Errorf("%s: chart title %q; want %q", tc.lang, got.ChartTitle, tc.chartTitle)
		}
		if got.Width < 200 {
			t.Errorf("%s: the chart is %g px wide; the style sheet did not apply", tc.lang, got.Width)
		}
		b.Axe(t, "report "+tc.lang)
		if tc.lang == "en" {
			if out := os.Getenv("LIVEGATE_REPORT_SCREENSHOT"); out != "" {
				if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
					t.Fatal(err)
				}
				shot := b.Screenshot(filepath.Dir(out), filepath.Base(out), 900, 900, true)
				t.Logf("screenshot: %s", shot)
			}
		}
	}
	for _, p := range b.Problems() {
		t.Errorf("browser problem: %s", p)
	}

	b.MustRun("open a tampered link", chromedp.Navigate(strings.Replace(link, "exp=", "exp=1", 1)), chromedp.WaitVisible(tid("screen-report-invalid")))
	for _, p := range b.Problems() {
		if !strings.Contains(p, "403") {
			t.Errorf("browser problem: %s", p)
		}
	}
}

// BenchmarkReportPage is the report's cost: one signed GET of a finished
// session's report with two gestures of evidence (link check, store read,
// layout of the charts, rendering), beside the not-found page's, a page
// with no data, as the baseline of the same run.
func BenchmarkReportPage(b *testing.B) {
	store := memstore.New(memstore.WithSweepInterval(0))
	defer func() { _ = store.Close() }()
	pages, err := web.New(web.Config{Store: store, Logger: slog.New(slog.DiscardHandler), CookieKeys: testKeys,
		PublicURL: "https://livegate.example", Reports: testSigner})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	s := finished(b, store, now, "")
	for _, bc := range []struct{ name, path string }{
		{"report", reportLink(s.ID, now.Add(time.Hour))},
		{"not-found-page", "/s/no-such-session-0123456789"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				pages.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, bc.path, nil))
				if rec.Code != http.StatusOK && rec.Code != http.StatusNotFound {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
