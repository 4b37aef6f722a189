package demo_test

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livegate/livegate/internal/browsertest"
	"github.com/livegate/livegate/internal/demo"
	"github.com/livegate/livegate/internal/demo/demotest"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/web"
)

// TestBrowserDemoCancelFlow drives a real Chromium through the demo: create
// a session, open the end user's page, cancel, land back on the demo.
//
// The demo is opened on http://localhost:PORT and the end user's page on
// http://127.0.0.1:PORT: two origins, as with a real integrator, so the
// cancel form's 303 to cancel_url crosses origins and proves that the
// page's CSP form-action lets it through.
func TestBrowserDemoCancelFlow(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	pageBase := "http://127.0.0.1:" + strconv.Itoa(port)
	demoBase := "http://localhost:" + strconv.Itoa(port)

	store := memstore.New(memstore.WithSweepInterval(0))
	t.Cleanup(func() { _ = store.Close() })
	logger := slog.New(slog.DiscardHandler)
	pages, err := web.New(web.Config{Store: store, Logger: logger, CookieKeys: testKeys, PublicURL: pageBase})
	if err != nil {
		t.Fatal(err)
	}
	api := demotest.NewAPI(store, "dev-key", pageBase, time.Now)
	try, err := demo.New(demo.Config{API: api, APIKey: "dev-key", PublicURL: demoBase, CookieKeys: testKeys, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/s/", pages)
	mux.Handle("/static/", pages)
	mux.Handle("/demo", try)
	mux.Handle("/demo/", try)
	mux.Handle("/face/", api)
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)

	b := browsertest.New(t)
	id := browsertest.TestID

	b.MustRun("open the demo",
		chromedp.Navigate(demoBase+"/demo"),
		chromedp.WaitVisible(chromedp.CSS(id("screen-demo"))),
		chromedp.Click(chromedp.CSS(id("btn-create"))),
		chromedp.WaitVisible(chromedp.CSS(id("screen-demo-created"))),
	)
	if got := b.Text(id("api-status")); !strings.HasPrefix(got, "200") {
		t.Fatalf("create: api-status = %q", got)
	}

	b.MustRun("open the end user's page",
		chromedp.Click(chromedp.CSS(id("link-open-page"))),
		chromedp.WaitVisible(chromedp.CSS(id("screen-consent"))),
		chromedp.WaitVisible(chromedp.CSS(id("btn-start"))),
	)
	if loc := b.Location(); !strings.HasPrefix(loc, pageBase+"/s/") {
		t.Fatalf("end user's page at %s; want under %s/s/", loc, pageBase)
	}
	sid := strings.TrimPrefix(b.Location(), pageBase+"/s/")

	out := browsertest.OutDir(t)
	for _, shot := range []struct {
		name string
		w, h int64
		full bool
	}{
		{"consent-390x844.png", 390, 844, false},
		{"consent-390-full.png", 390, 844, true},
		{"consent-1280x800.png", 1280, 800, false},
	} {
		t.Logf("screenshot: %s", b.Screenshot(out, shot.name, shot.w, shot.h, shot.full))
	}

	// Start is never a dead button: until the capture step exists it leads
	// to a screen that says so.
	b.MustRun("start",
		chromedp.Click(chromedp.CSS(id("btn-start"))),
		chromedp.WaitVisible(chromedp.CSS(id("screen-capture-unavailable"))),
	)
	t.Logf("screenshot: %s", b.Screenshot(out, "capture-unavailable-390x844.png", 390, 844, false))
	b.MustRun("back to consent",
		chromedp.NavigateBack(),
		chromedp.WaitVisible(chromedp.CSS(id("screen-consent"))),
	)

	b.MustRun("cancel",
		chromedp.Click(chromedp.CSS(id("btn-cancel"))),
		chromedp.WaitVisible(chromedp.CSS(id("screen-demo-canceled"))),
	)
	if loc, want := b.Location(), demoBase+"/demo/canceled?sid="+sid; loc != want {
		t.Errorf("after cancel at %s; want %s", loc, want)
	}
	if got := b.Text(id("api-json")); !strings.Contains(got, `"status": "CANCELED"`) || !strings.Contains(got, sid) {
		t.Errorf("api-json after cancel:\n%s", got)
	}
	if got := b.Text(id("api-status")); !strings.HasPrefix(got, "200") {
		t.Errorf("api-status = %q", got)
	}
	t.Logf("screenshot: %s", b.Screenshot(out, "demo-canceled-1280.png", 1280, 800, true))
	if problems := b.Problems(); len(problems) > 0 {
		t.Errorf("the pages logged problems:\n%s", strings.Join(problems, "\n"))
	}
}
