package archtest_test

import (
	"slices"
	"testing"

	"github.com/livegate/livegate/internal/archtest"
)

// heavy are the packages that bring cgo (OpenCV, libvpx) or WebRTC.
var heavy = []string{"gocv.io/", "github.com/pion/", "internal/perception", "internal/codec/..."}

// rules are the import rules of docs/architecture.md, one entry each.
var rules = []archtest.Rule{
	{
		Pkgs:   []string{"internal/session"},
		Forbid: []string{"non-standard", "internal/..."},
		Why:    "the domain imports the standard library only",
	},
	{
		Pkgs:   []string{"internal/session/..."},
		Forbid: append([]string{"internal/gesture/...", "internal/capture/...", "internal/api", "internal/web/...", "internal/facegen/..."}, heavy...),
		Why:    "the stores know nothing of HTTP, WebRTC or OpenCV",
	},
	{
		Pkgs:   []string{"internal/api"},
		Forbid: append([]string{"internal/capture/...", "internal/web/...", "internal/facegen/...", "internal/demo/..."}, heavy...),
		Why:    "the REST API builds without cgo or WebRTC; models come in through interfaces",
	},
	{
		Pkgs:   []string{"internal/web/...", "internal/demo/...", "web/..."},
		Forbid: append([]string{"internal/capture/...", "internal/gesture/...", "internal/api", "internal/facegen/..."}, heavy...),
		Why:    "the pages build and test in seconds: no cgo, WebRTC, engine or API",
	},
	{
		Pkgs:   []string{"internal/httpx", "internal/metrics"},
		Forbid: append([]string{"internal/capture/...", "internal/gesture/...", "internal/api", "internal/web/..."}, heavy...),
		Why:    "the HTTP plumbing serves every surface and depends on none",
	},
	{
		Pkgs:   []string{"internal/webhook/..."},
		Forbid: append([]string{"internal/capture/...", "internal/gesture/...", "internal/api", "internal/web/...", "internal/facegen/...", "internal/metrics"}, heavy...),
		Why:    "webhooks know the domain and their queue only: the server hands them the API's JSON and the metrics as functions",
	},
	{
		Pkgs:   []string{"internal/gesture/...", "internal/facegen/..."},
		Forbid: append([]string{"internal/capture/...", "internal/api", "internal/web/..."}, heavy...),
		Why:    "what judges (and the footage it is judged on) is pure Go above the perception layer",
	},
	{
		Pkgs:   []string{"internal/liveness", "internal/pad"},
		Forbid: []string{"non-standard", "internal/capture/...", "internal/gesture/...", "internal/perception", "internal/codec/...", "internal/api", "internal/web/..."},
		Why:    "liveness fusion and PAD evaluation judge numbers on the standard library alone",
	},
	{
		Pkgs:   []string{"internal/perception"},
		Forbid: []string{"github.com/pion/", "internal/codec/...", "internal/capture/...", "internal/api", "internal/web/...", "internal/facegen/..."},
		Why:    "the perception layer knows the models only, not who consumes them",
	},
	{
		Pkgs:   []string{"internal/capture", "internal/capture/live"},
		Forbid: []string{"gocv.io/", "internal/perception", "internal/api", "internal/web/...", "internal/facegen/..."},
		Why:    "capture meets the engine at a grey frame and never sees OpenCV or the HTTP surfaces",
	},
	{
		Pkgs:   []string{"internal/capture/client"},
		Forbid: []string{"gocv.io/", "internal/perception", "internal/capture", "internal/capture/live", "internal/api", "internal/web/..."},
		Why:    "the test client speaks to the server only through HTTP and SDP, as a browser does",
	},
	{
		Pkgs:   []string{"internal/faceid"},
		Forbid: []string{"non-standard", "internal/..."},
		Why:    "the face-recognition network is pure Go on the standard library: the API and the engine share it without cgo",
	},
	{
		Pkgs:   []string{"internal/sealed"},
		Forbid: []string{"non-standard", "internal/..."},
		Why:    "sealing biometric data at rest is the standard library's AES-GCM and nothing else",
	},
	{
		Pkgs:   []string{"internal/codec/..."},
		Forbid: []string{"non-standard", "internal/..."},
		Why:    "the codec wraps libvpx and nothing else",
	},
	{
		Pkgs:   []string{"internal/capture/live/pagemsg"},
		Forbid: []string{"non-standard", "internal/..."},
		Why:    "the page's data-channel messages are parsed on the standard library alone, so their fuzz target builds without cgo",
	},
}

func TestImportRules(t *testing.T) {
	g, err := archtest.Load(".")
	if err != nil {
		t.Fatal(err)
	}
	vs, err := g.Check(rules)
	if err != nil {
		t.Error(err)
	}
	for _, v := range vs {
		t.Error(v)
	}
}

// TestCgoRooms: only the perception layer and the VP8 codec declare cgo,
// and only perception imports gocv.
func TestCgoRooms(t *testing.T) {
	g, err := archtest.Load(".")
	if err != nil {
		t.Fatal(err)
	}
	rel := func(ps []string) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = archtest.Rel(p)
		}
		return out
	}
	if got, want := rel(g.Cgo()), []string{"internal/codec/vpx", "internal/perception"}; !slices.Equal(got, want) {
		t.Errorf("packages with cgo files: got %v; want %v", got, want)
	}
	if got, want := rel(g.Importers("gocv.io/")), []string{"internal/perception"}; !slices.Equal(got, want) {
		t.Errorf("packages importing gocv: got %v; want %v", got, want)
	}
}
