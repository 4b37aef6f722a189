package server

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/livegate/livegate/internal/api"
	"github.com/livegate/livegate/internal/demo"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/signedurl"
	"github.com/livegate/livegate/internal/web"
	"github.com/livegate/livegate/web/templates"
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
		FrameRate:      cfg.AnalysisFPS,
		Reports:        cfg.URLSigner,
		ReportImages:   reportImages(cfg, log, now),
		KeepsImages:    cfg.keepsImages(),
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

// keepsImages: a finished session's evidence images are kept (the store
// keeps images and there is a data key to seal them), as live capture
// decides for each session within its biometric retention.
func (c *config) keepsImages() bool { return c.images != nil && c.DataKeys != nil }

// reportImageLister lists a finished session's evidence images for its
// report page, with the same signed links (and expiry rule) as the API's
// result.
type reportImageLister struct {
	store  session.ImageStore
	signer *signedurl.Signer
	ttl    time.Duration
	now    func() time.Time
	log    *slog.Logger
}

// reportImages returns the report's image lister, or nil (no images
// section) when the server keeps no images.
func reportImages(cfg *config, log *slog.Logger, now func() time.Time) web.ReportImages {
	if !cfg.keepsImages() || cfg.URLSigner == nil {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return reportImageLister{store: cfg.images, signer: cfg.URLSigner, ttl: cmp.Or(cfg.EvidenceURLTTL, api.DefaultImageURLTTL), now: now, log: log}
}

func (l reportImageLister) ReportImages(ctx context.Context, s *session.Session) []templates.ReportImage {
	imgs, err := l.store.Images(ctx, s.ID, false)
	if err != nil {
		// The report still shows the verdict and the charts.
		l.log.WarnContext(ctx, "server: report images", "sid", s.ID, "err", err)
		return nil
	}
	now := l.now()
	out := make([]templates.ReportImage, 0, len(imgs))
	for _, im := range imgs {
		path, _ := api.ImageLink(l.signer, s, im.Name, l.ttl, now)
		out = append(out, templates.ReportImage{Name: im.Name, URL: path, Alt: im.Name})
	}
	return out
}
