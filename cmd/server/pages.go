package main

import (
	"log/slog"
	"net/http"

	"github.com/livegate/livegate/internal/demo"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/web"
)

// mountPages adds the end user's pages and, when enabled, the demo, which
// calls the API in process with the first configured key.
func mountPages(mux *http.ServeMux, cfg *config, store session.Store, apiHandler http.Handler, log *slog.Logger, lc web.Live) error {
	pages, err := web.New(web.Config{
		Store:          store,
		Logger:         log,
		CookieKeys:     cfg.CookieKeys,
		PublicURL:      cfg.PublicURL,
		FrameAncestors: cfg.FrameAncestors,
		Retention:      cfg.Retention,
		Live:           lc,
	})
	if err != nil {
		return err
	}
	mux.Handle("/s/", pages)
	mux.Handle("/static/", pages)
	if !cfg.Demo {
		return nil
	}
	key := cfg.Keys[0]
	try, err := demo.New(demo.Config{
		API:            apiHandler,
		APIKey:         key.Secret,
		Username:       key.Username,
		Password:       key.Password,
		PublicURL:      cfg.PublicURL,
		CookieKeys:     cfg.CookieKeys,
		Logger:         log,
		FrameAncestors: cfg.FrameAncestors,
	})
	if err != nil {
		return err
	}
	mux.Handle("/demo", try)
	mux.Handle("/demo/", try)
	return nil
}
