// Package demo is the try-it page: it creates a session through the REST
// API exactly as an integrator's backend would (in process, with the
// development key), links to the end user's page, and shows the session as
// the API returns it once the user comes back. The server mounts it on
// /demo only when the demo is enabled.
package demo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/livegate/livegate/internal/httpx"
	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/web"
	"github.com/livegate/livegate/internal/web/i18n"
	"github.com/livegate/livegate/web/static"
	"github.com/livegate/livegate/web/templates"
)

// sessionsPath is the GLAIR path of active liveness sessions.
const sessionsPath = "/face/v1/active-liveness-sessions"

// maxAPIBody bounds what the demo reads back from the API.
const maxAPIBody = 1 << 20

// Config is what the demo needs.
type Config struct {
	// API is the REST API handler, called in process. Required.
	API http.Handler
	// APIKey is the development key, sent as x-api-key. Required.
	APIKey string
	// Username and Password are sent as HTTP Basic when the key needs them.
	Username, Password string
	// PublicURL is the base URL browsers reach livegate at; success_url and
	// cancel_url point back to the demo under it. Required.
	PublicURL string
	// CookieKeys are the browser cookie's key pairs, the same as the end
	// user's pages use (web.DeriveCookieKeys). Required.
	CookieKeys [][]byte
	// Logger; slog.Default when nil.
	Logger *slog.Logger
	// FrameAncestors is the CSP frame-ancestors value; "'none'" when empty.
	FrameAncestors string
}

// Handler serves GET and POST /demo, GET /demo/done and GET /demo/canceled.
type Handler struct {
	api        http.Handler
	apiKey     string
	basic      [2]string
	public     string
	log        *slog.Logger
	browsers   *web.BrowserStore
	assets     *web.Assets
	catalogues *i18n.Catalogues
	origins    *http.CrossOriginProtection
	csp        string
	mux        *httpx.Mux
}

// New checks cfg and returns the handler.
func New(cfg Config) (*Handler, error) {
	if cfg.API == nil {
		return nil, errors.New("demo: no API handler")
	}
	if cfg.APIKey == "" {
		return nil, errors.New("demo: no API key")
	}
	if web.Origin(cfg.PublicURL) == "" {
		return nil, errors.New("demo: public URL must be an absolute http or https URL")
	}
	browsers, err := web.NewBrowserStore(cfg.CookieKeys, web.SecureCookies(cfg.PublicURL))
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	assets, err := web.NewAssets(static.FS())
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	cat, err := i18n.Load()
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	h := &Handler{
		api:        cfg.API,
		apiKey:     cfg.APIKey,
		basic:      [2]string{cfg.Username, cfg.Password},
		public:     strings.TrimRight(cfg.PublicURL, "/"),
		log:        cfg.Logger,
		browsers:   browsers,
		assets:     assets,
		catalogues: cat,
		origins:    http.NewCrossOriginProtection(),
		csp:        web.ContentSecurityPolicy(cfg.FrameAncestors),
		mux:        httpx.NewMux(),
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.mux.HandleFunc("GET /demo", h.serveHome)
	h.mux.HandleFunc("POST /demo", h.serveCreate)
	h.mux.HandleFunc("GET /demo/done", h.serveResult)
	h.mux.HandleFunc("GET /demo/canceled", h.serveResult)
	return h, nil
}

// ServeHTTP routes a request. The router's own 404 and 405 get the page
// headers too.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", h.csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// Routes lists the patterns the demo serves ("GET /demo", …).
func (h *Handler) Routes() []string { return h.mux.Patterns() }

func (h *Handler) page(r *http.Request, title func(*i18n.Messages) string) templates.Page {
	m := h.catalogues.Choose("", r.Header.Get("Accept-Language"))
	return templates.Page{T: m, Title: title(m), Asset: h.assets.URL, Wide: true}
}

func (h *Handler) serveHome(w http.ResponseWriter, r *http.Request) {
	b, err := h.browsers.Identify(w, r)
	if err != nil {
		h.log.ErrorContext(r.Context(), "demo: browser cookie", "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	p := h.page(r, func(m *i18n.Messages) string { return m.DemoTitle })
	web.Render(w, r, h.log, http.StatusOK, h.csp,
		templates.DemoHome(p, templates.DemoHomeView{Action: "/demo", CSRFToken: b.CSRFToken}))
}

// serveCreate is the "Create a session" form: it asks the API for a
// session whose success_url and cancel_url lead back to this demo.
func (h *Handler) serveCreate(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	b, ok := h.browsers.Load(r)
	if err := h.origins.Check(r); err != nil || !ok || !b.ValidToken(r.PostFormValue("csrf_token")) {
		h.log.WarnContext(r.Context(), "demo: form refused", "cross_origin", err != nil, "cookie", ok)
		p := h.page(r, func(m *i18n.Messages) string { return m.ForbiddenTitle })
		web.Render(w, r, h.log, http.StatusForbidden, h.csp, templates.Message(p, templates.MessageView{
			TestID: "screen-forbidden", Icon: "icon-alert.svg", Title: p.T.ForbiddenTitle, Body: p.T.ForbiddenBody,
		}))
		return
	}
	reqBody, err := json.Marshal(struct {
		SuccessURL string `json:"success_url"`
		CancelURL  string `json:"cancel_url"`
	}{h.public + "/demo/done", h.public + "/demo/canceled"})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ex, body, hdr, err := h.call(r, http.MethodPost, sessionsPath, reqBody)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := templates.DemoCreatedView{Exchange: ex, Home: "/demo"}
	if ex.OK {
		var created struct {
			URL string `json:"url"`
		}
		if json.Unmarshal(body, &created) == nil && web.Origin(created.URL) != "" {
			v.PageURL = created.URL
		}
	}
	p := h.page(r, func(m *i18n.Messages) string { return m.DemoCreatedTitle })
	web.Render(w, r, h.log, pageStatus(w, ex, hdr), h.csp, templates.DemoCreated(p, v))
}

// serveResult is where the end user's page sends the user back: it shows
// GET …/{sid} as the API answered it.
func (h *Handler) serveResult(w http.ResponseWriter, r *http.Request) {
	p := h.page(r, func(m *i18n.Messages) string { return m.DemoDoneTitle })
	v := templates.DemoResultView{TestID: "screen-demo-done", Title: p.T.DemoDoneTitle, Home: "/demo"}
	if r.URL.Path == "/demo/canceled" {
		v.TestID, v.Title, p.Title = "screen-demo-canceled", p.T.DemoCanceledTitle, p.T.DemoCanceledTitle
	}
	sid := r.URL.Query().Get("sid")
	if !session.ValidID(sid) {
		web.Render(w, r, h.log, http.StatusBadRequest, h.csp, templates.DemoResult(p, v))
		return
	}
	ex, _, hdr, err := h.call(r, http.MethodGet, sessionsPath+"/"+url.PathEscape(sid), nil)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Exchange = &ex
	web.Render(w, r, h.log, pageStatus(w, ex, hdr), h.csp, templates.DemoResult(p, v))
}

// pageStatus is the status of a demo page that shows the API's exchange
// ex: 200, except when the API was unavailable (its store down, a cap
// reached), whose 503 and Retry-After (hdr's) the page passes on, so that
// a browser or a proxy retries rather than taking the page for an answer.
func pageStatus(w http.ResponseWriter, ex templates.DemoExchange, hdr http.Header) int {
	if ex.Status != http.StatusServiceUnavailable {
		return http.StatusOK
	}
	ra := hdr.Get("Retry-After")
	if ra == "" {
		ra = "5"
	}
	w.Header().Set("Retry-After", ra)
	return http.StatusServiceUnavailable
}

// call runs one request through the API handler in process, as an
// integrator's backend would send it over the network.
func (h *Handler) call(r *http.Request, method, path string, body []byte) (templates.DemoExchange, []byte, http.Header, error) {
	req, err := http.NewRequestWithContext(r.Context(), method, h.public+path, bytes.NewReader(body))
	if err != nil {
		return templates.DemoExchange{}, nil, nil, fmt.Errorf("demo: build API request: %w", err)
	}
	req.RequestURI = path
	// The API takes the client's address as every route does (its
	// trusted-proxy rule): the same peer, the same forwarded chain.
	req.RemoteAddr = r.RemoteAddr
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		req.Header["X-Forwarded-For"] = xff
	}
	req.Header.Set("x-api-key", h.apiKey)
	if h.basic[0] != "" {
		req.SetBasicAuth(h.basic[0], h.basic[1])
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := newRecorder()
	h.api.ServeHTTP(rec, req)
	raw := rec.body.Bytes()
	ex := templates.DemoExchange{
		Request:     method + " " + path,
		RequestBody: pretty(body),
		Status:      rec.code(),
		StatusText:  http.StatusText(rec.code()),
		Body:        pretty(raw),
		OK:          rec.code() >= 200 && rec.code() < 300,
	}
	return ex, raw, rec.header, nil
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "demo: page failed", "err", err)
	p := h.page(r, func(m *i18n.Messages) string { return m.ErrorTitle })
	web.Render(w, r, h.log, http.StatusInternalServerError, h.csp, templates.Message(p, templates.MessageView{
		TestID: "screen-error", Icon: "icon-alert.svg", Title: p.T.ErrorTitle, Body: p.T.ErrorBody,
	}))
}

// pretty indents JSON without reordering or dropping anything, so the page
// shows exactly what the API sent; anything else is shown as it came.
func pretty(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return string(b)
	}
	return out.String()
}

// recorder is the in-process response writer: it keeps the status, the
// headers and at most maxAPIBody bytes of the body.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	room := maxAPIBody - r.body.Len()
	if room <= 0 {
		return 0, io.ErrShortWrite
	}
	if len(b) > room {
		r.body.Write(b[:room])
		return room, io.ErrShortWrite
	}
	return r.body.Write(b)
}

func (r *recorder) code() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

var _ http.ResponseWriter = (*recorder)(nil)
