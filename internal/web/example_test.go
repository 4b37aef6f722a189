package web_test

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/livegate/livegate/internal/demo"
	"github.com/livegate/livegate/internal/session/memstore"
	"github.com/livegate/livegate/internal/web"
)

// How internal/server mounts the end user's pages and, when enabled, the demo.
func ExampleNew() {
	store := memstore.New()
	defer store.Close()
	keys, err := web.DeriveCookieKeys("a LIVEGATE_SESSION_SECRET of at least 32 bytes")
	if err != nil {
		panic(err)
	}
	pages, err := web.New(web.Config{
		Store:      store,
		Logger:     slog.New(slog.DiscardHandler),
		CookieKeys: keys,
		PublicURL:  "https://verify.example.com",
	})
	if err != nil {
		panic(err)
	}
	var api http.Handler = http.NotFoundHandler() // the REST API handler
	try, err := demo.New(demo.Config{
		API: api, APIKey: "the development key", PublicURL: "https://verify.example.com", CookieKeys: keys,
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/s/", pages)
	mux.Handle("/static/", pages)
	mux.Handle("/demo", try)
	mux.Handle("/demo/", try)
	fmt.Println(pages.AssetURL("app.css") != "/static/app.css")
	// Output: true
}
