package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/livegate/livegate/internal/demo"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/web"
)

// mountPages adds the end user's pages and, when enabled, the demo, which
// calls the API in process with its own key (config.DemoKey). now is nil for
// time.Now.
func mountPages(mux *router, cfg *config, store session.Store, apiHandler http.Handler, log *slog.Logger, lc web.Live, lim web.Limits, now func() time.Time) error {
	pages, err := web.New(web.Config{
		Store:          store,
		Now:            now,
		Logger:         log,
		CookieKeys:     cfg.CookieKeys,
		PublicURL:      cfg.PublicURL,
		FrameAncestors: cfg.FrameAncestors,
		Retention:      cfg.Retention,
		Live:           lc,
		ClientIP:       cfg.TrustedProxies.ClientIP,
		Limits:         lim,
		ICERelayOnly:   cfg.ICERelayOnly,
		Reports:        cfg.URLSigner,
	})
	if err != nil {
		return err
	}
	mux.mount(pages, "/s/", "/report/", "/static/")
	if !cfg.Demo {
		return nil
	}
	// The demo's own key: its sessions are its own tenant's, with their
	// own creation budget (config.DemoKey).
	key := cfg.DemoKey
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
	mux.mount(try, "/demo", "/demo/")
	return nil
}
