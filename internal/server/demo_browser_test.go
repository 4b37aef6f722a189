package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/livegate/livegate/internal/browsertest"
)

// TestDemoInChromium is the newcomer's first five minutes, in a real browser
// against the real server: no key configured, so a development key and the
// demo; create a session, open the end user's page, cancel, land on the
// demo's page, whose JSON is what the API answers.
func TestDemoInChromium(t *testing.T) {
	s := startServer(t, map[string]string{})
	var key string
	for _, line := range strings.Split(s.stdout.String(), "\n") {
		if k, ok := strings.CutPrefix(line, "development API key: "); ok {
			key = k
		}
	}
	base := strings.Replace(s.url, "127.0.0.1", "localhost", 1)
	b := browsertest.New(t)
	id := browsertest.TestID
	b.MustRun("create a session in the demo",
		chromedp.Navigate(base+"/demo"),
		chromedp.Click(chromedp.CSS(id("btn-create"))),
		chromedp.WaitVisible(chromedp.CSS(id("screen-demo-created"))),
		chromedp.Click(chromedp.CSS(id("link-open-page"))),
		chromedp.WaitVisible(chromedp.CSS(id("screen-consent"))),
	)
	sid := strings.TrimPrefix(b.Location(), base+"/s/")
	b.MustRun("cancel on the end user's page",
		chromedp.Click(chromedp.CSS(id("btn-cancel"))),
		chromedp.WaitVisible(chromedp.CSS(id("screen-demo-canceled"))),
	)
	if loc, want := b.Location(), base+"/demo/canceled?sid="+sid; loc != want {
		t.Fatalf("after cancel at %s; want %s", loc, want)
	}
	var shown map[string]any
	if err := json.Unmarshal([]byte(b.Text(id("api-json"))), &shown); err != nil {
		t.Fatalf("the demo's JSON does not parse: %v", err)
	}
	req, _ := http.NewRequest("GET", s.url+"/face/v1/active-liveness-sessions/"+sid, nil)
	req.Header.Set("x-api-key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var fromAPI map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&fromAPI); err != nil {
		t.Fatal(err)
	}
	if fromAPI["status"] != "CANCELED" || shown["status"] != "CANCELED" || shown["sid"] != fromAPI["sid"] || shown["url"] != fromAPI["url"] {
		t.Errorf("demo shows %v; API says %v; want both CANCELED for the same session", shown, fromAPI)
	}
	if p := b.Problems(); len(p) > 0 {
		t.Errorf("the pages logged problems:\n%s", strings.Join(p, "\n"))
	}
}
