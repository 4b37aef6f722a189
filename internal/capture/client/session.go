package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"image"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/livegate/livegate/internal/codec/vpx"
)

// Page is a session's page opened as a browser opens it: a cookie jar
// that holds the claim, and the CSRF token the signalling requests carry.
type Page struct {
	HTTP      *http.Client
	Base      *url.URL // scheme and host of the server
	SID       string
	CSRFToken string
	// ICEServers and RelayOnly are the capture screen's data-ice-servers
	// (TURN credentials included) and data-ice-transport-policy="relay",
	// to pass to Options as the page passes them to RTCPeerConnection.
	ICEServers []webrtc.ICEServer
	RelayOnly  bool
}

var (
	csrfAttr  = regexp.MustCompile(`data-csrf-token="([^"]+)"`)
	iceAttr   = regexp.MustCompile(`data-ice-servers="([^"]*)"`)
	relayAttr = regexp.MustCompile(`data-ice-transport-policy="relay"`)
	csrfField = regexp.MustCompile(`name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"`)
)

// OpenPage opens pageURL (…/s/{sid}) with a fresh cookie jar, presses Start
// (which claims the session), then reads the CSRF token from the capture screen
// (GET …/capture, its data-csrf-token attribute; docs/protocol.md). Until
// the capture screen carries that attribute, the token is read from a
// cancel form's hidden csrf_token field (capture screen, then consent
// screen), which holds the same per-browser token.
func OpenPage(ctx context.Context, pageURL string) (*Page, error) {
	u, err := url.Parse(pageURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("client: page URL %q: want http(s)://host/s/{sid}", pageURL)
	}
	rest, ok := strings.CutPrefix(u.Path, "/s/")
	if !ok || rest == "" || strings.Contains(rest, "/") {
		return nil, fmt.Errorf("client: page URL %q: want http(s)://host/s/{sid}", pageURL)
	}
	jar, _ := cookiejar.New(nil)
	p := &Page{HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second}, Base: &url.URL{Scheme: u.Scheme, Host: u.Host}, SID: rest}
	consent, err := p.get(ctx, "/s/"+rest)
	if err != nil {
		return nil, err
	}
	// Start: the consent screen's form posts its token to the capture
	// step, which claims the session and redirects (303) to it.
	m := csrfField.FindStringSubmatch(consent)
	if m == nil {
		return nil, errors.New("client: no Start form with a csrf_token on the consent screen")
	}
	capture, err := p.post(ctx, "/s/"+rest+"/capture", url.Values{"csrf_token": {html.UnescapeString(m[1] + m[2])}})
	if err != nil {
		return nil, err
	}
	if m := iceAttr.FindStringSubmatch(capture); m != nil {
		if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &p.ICEServers); err != nil {
			return nil, fmt.Errorf("client: the capture screen's data-ice-servers: %w", err)
		}
	}
	p.RelayOnly = relayAttr.MatchString(capture)
	for _, body := range []string{capture, consent} {
		if m := csrfAttr.FindStringSubmatch(body); m != nil {
			p.CSRFToken = html.UnescapeString(m[1])
			return p, nil
		}
	}
	for _, body := range []string{capture, consent} {
		if m := csrfField.FindStringSubmatch(body); m != nil {
			p.CSRFToken = html.UnescapeString(m[1] + m[2])
			return p, nil
		}
	}
	return nil, errors.New("client: no CSRF token on the capture or consent screen (a session without cancel_url shows no cancel form until the capture screen carries data-csrf-token)")
}

func (p *Page) get(ctx context.Context, path string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", p.Base.String()+path, nil)
	if err != nil {
		return "", err
	}
	return p.do(req, "GET "+path)
}

// post submits form to path as the page's forms do (same origin) and
// returns the body the redirects lead to.
func (p *Page) post(ctx context.Context, path string, form url.Values) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", p.Base.String()+path, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.Base.String())
	return p.do(req, "POST "+path)
}

// do sends req as the page's browser and returns the body of a 200.
func (p *Page) do(req *http.Request, what string) (string, error) {
	req.Header.Set("User-Agent", "livegate-client")
	resp, err := p.HTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("client: %s: %w", what, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", &HTTPError{Status: resp.StatusCode, Body: string(b), What: what}
	}
	return string(b), nil
}

// HTTPError is a refused signalling or page request.
type HTTPError struct {
	What       string
	Status     int
	Body       string
	RetryAfter string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("client: %s: %d %s", e.What, e.Status, strings.TrimSpace(e.Body))
}

// Signal is the WHIP-style offer of docs/protocol.md: POST the offer to
// /s/{sid}/offer with the token, get the answer.
func (p *Page) Signal() Signal {
	return func(ctx context.Context, offer string) (string, error) {
		req, err := http.NewRequestWithContext(ctx, "POST", p.Base.String()+"/s/"+p.SID+"/offer", strings.NewReader(offer))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/sdp")
		req.Header.Set("X-CSRF-Token", p.CSRFToken)
		req.Header.Set("User-Agent", "livegate-client")
		resp, err := p.HTTP.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if resp.StatusCode != http.StatusCreated {
			return "", &HTTPError{What: "POST offer", Status: resp.StatusCode, Body: string(b), RetryAfter: resp.Header.Get("Retry-After")}
		}
		return string(b), nil
	}
}

// Hangup is DELETE /s/{sid}/offer.
func (p *Page) Hangup(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, "DELETE", p.Base.String()+"/s/"+p.SID+"/offer", nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-CSRF-Token", p.CSRFToken)
	resp, err := p.HTTP.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return &HTTPError{What: "DELETE offer", Status: resp.StatusCode}
	}
	return nil
}

// Clip is a video encoded once to VP8 and replayed to any number of
// peers: frame 0 is a key frame, and the last picture is held for Hold
// frames after the clip, as a camera keeps sending while the user waits.
type Clip struct {
	W, H, FPS int
	Frames    [][]byte
	// Len is the number of frames of the clip itself (before the hold).
	Len int
}

// EncodeClip encodes frames (4:2:0, all w×h) at fps, then hold more
// frames of the last picture.
func EncodeClip(frames []*image.YCbCr, fps, hold int) (*Clip, error) {
	if len(frames) == 0 {
		return nil, errors.New("client: empty clip")
	}
	b := frames[0].Rect
	enc, err := vpx.NewEncoder(b.Dx(), b.Dy(), fps, 1000)
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	c := &Clip{W: b.Dx(), H: b.Dy(), FPS: fps, Len: len(frames)}
	for i := 0; i < len(frames)+hold; i++ {
		img := frames[min(i, len(frames)-1)]
		f, _, err := enc.Encode(img, i == 0)
		if err != nil {
			return nil, fmt.Errorf("client: encode frame %d: %w", i, err)
		}
		c.Frames = append(c.Frames, f)
	}
	return c, nil
}

// Message is one data-channel message, server → page, with its arrival.
type Message struct {
	// At is the time since the run started.
	At           time.Duration `json:"-"`
	V            int           `json:"v"`
	Type         string        `json:"type"`
	AttemptsLeft *int          `json:"attempts_left,omitempty"`
	Gesture      string        `json:"gesture,omitempty"`
	Index        *int          `json:"index,omitempty"`
	Total        int           `json:"total,omitempty"`
	Value        *float64      `json:"value,omitempty"`
	Overall      *float64      `json:"overall,omitempty"`
	Code         string        `json:"code,omitempty"`
	Present      *bool         `json:"present,omitempty"`
	Reason       string        `json:"reason,omitempty"`
	Outcome      string        `json:"outcome,omitempty"`
	Redirect     string        `json:"redirect,omitempty"`
	// Attempt is the run's attempt (1-based) the message arrived in, and
	// ClipTime the time since that attempt's clip started playing.
	Attempt  int           `json:"attempt"`
	ClipTime time.Duration `json:"-"`
}

// Actor is a face rendered live that reacts to the server, as a person in
// front of a camera does: Run sends its frames instead of a clip's, and
// tells it every instruction and what became of it. Times are durations
// since the run started, on one clock. Frame is called from one goroutine;
// the others from Run's.
type Actor interface {
	// Frame is the camera's picture at time t (Options.Width×Height, 4:2:0).
	Frame(t time.Duration) *image.YCbCr
	// Instruct: the server asked for gesture at time t.
	Instruct(gesture string, t time.Duration)
	// Release: the gesture asked last was matched, or its try failed, at t.
	Release(t time.Duration)
	// Reset: a new attempt starts, from the neutral face.
	Reset()
}

// RunOptions drive one session over a dialed Client.
type RunOptions struct {
	// Clips are played one per attempt (the last one again for further
	// attempts), from the moment ready is sent.
	Clips []*Clip
	// Actor, when set, replaces Clips: its frames are encoded and sent
	// live at FPS (default 15) from ready on.
	Actor Actor
	FPS   int
	// Retry sends ready again after attempt_failed while attempts remain.
	Retry bool
	// Ready is the ready message sent (default {"v":1,"type":"ready"}): a
	// test sends the page's optional fields (camera_label) through it.
	Ready string
	// OnMessage, when set, sees every message as it arrives.
	OnMessage func(Message)
	// StopAfter, when set, ends the run (without hanging up) once it
	// returns true for a message: a test that kills the client mid-attempt.
	StopAfter func(Message) bool
}

// Outcome is how a run ended.
type Outcome struct {
	// Result is the done outcome (success, failed, canceled), or
	// "closing:<reason>", "attempt_failed" (no retry), "stopped" or
	// "error".
	Result   string
	Redirect string
	Messages []Message
	Attempts int
	// FirstInstruction is the time from the first ready to the first
	// instruction.
	FirstInstruction time.Duration
}

// Run plays the session protocol on c: on hello it sends ready and plays
// the attempt's clip, and so on, until done, closing, StopAfter or ctx.
// msgs carries the data channel's messages: dial with Options.OnMessage
// pushing into it (see Messages).
func Run(ctx context.Context, c *Client, msgs <-chan []byte, opts RunOptions) (*Outcome, error) {
	if len(opts.Clips) == 0 && opts.Actor == nil {
		return nil, errors.New("client: no clip and no actor")
	}
	if opts.FPS <= 0 {
		opts.FPS = 15
	}
	start := time.Now()
	out := &Outcome{}
	var (
		play     context.CancelFunc
		playWG   sync.WaitGroup
		clipT0   time.Time
		readyAt  time.Time
		attempts int
	)
	stopPlay := func() {
		if play != nil {
			play()
			playWG.Wait()
			play = nil
		}
	}
	defer stopPlay()
	ready := func() error {
		stopPlay()
		attempts++
		if opts.Actor != nil {
			opts.Actor.Reset()
		}
		readyMsg := opts.Ready
		if readyMsg == "" {
			readyMsg = `{"v":1,"type":"ready"}`
		}
		if err := c.Send([]byte(readyMsg)); err != nil {
			return err
		}
		if readyAt.IsZero() {
			readyAt = time.Now()
		}
		clipT0 = time.Now()
		pctx, cancel := context.WithCancel(ctx)
		play = cancel
		playWG.Add(1)
		if opts.Actor != nil {
			go func() {
				defer playWG.Done()
				c.PlayActor(pctx, opts.Actor, opts.FPS, start)
			}()
			return nil
		}
		clip := opts.Clips[min(attempts, len(opts.Clips))-1]
		go func() {
			defer playWG.Done()
			c.PlayClip(pctx, clip)
		}()
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			out.Result, out.Attempts = "error", attempts
			return out, ctx.Err()
		case raw := <-msgs:
			var m Message
			if err := json.Unmarshal(raw, &m); err != nil {
				continue
			}
			now := time.Now()
			m.At, m.Attempt = now.Sub(start), attempts
			if !clipT0.IsZero() {
				m.ClipTime = now.Sub(clipT0)
			}
			out.Messages = append(out.Messages, m)
			if opts.OnMessage != nil {
				opts.OnMessage(m)
			}
			if opts.StopAfter != nil && opts.StopAfter(m) {
				out.Result, out.Attempts = "stopped", attempts
				return out, nil
			}
			switch m.Type {
			case "hello":
				if err := ready(); err != nil {
					return out, err
				}
			case "instruction":
				if out.FirstInstruction == 0 {
					out.FirstInstruction = now.Sub(readyAt)
				}
				if opts.Actor != nil {
					opts.Actor.Instruct(m.Gesture, m.At)
				}
			case "matched":
				if opts.Actor != nil {
					opts.Actor.Release(m.At)
				}
			case "attempt_failed":
				if opts.Actor != nil {
					opts.Actor.Release(m.At)
				}
				stopPlay()
				if m.AttemptsLeft != nil && *m.AttemptsLeft > 0 {
					if !opts.Retry {
						out.Result, out.Attempts = "attempt_failed", attempts
						return out, nil
					}
					if err := ready(); err != nil {
						return out, err
					}
				}
			case "done":
				out.Result, out.Redirect, out.Attempts = m.Outcome, m.Redirect, attempts
				return out, nil
			case "closing":
				out.Result, out.Attempts = "closing:"+m.Reason, attempts
				return out, nil
			}
		}
	}
}

// PlayClip sends clip's frames at its frame rate, looping, until ctx
// ends. A key frame request (PLI) restarts at frame 0, the key frame.
func (c *Client) PlayClip(ctx context.Context, clip *Clip) {
	tick := time.NewTicker(time.Second / time.Duration(clip.FPS))
	defer tick.Stop()
	i := 0
	plis := c.PLIs()
	for {
		if p := c.PLIs(); p != plis {
			plis, i = p, 0
		}
		// Played in real time as a camera would be: the RTP clock is the
		// wall clock, so a player that falls behind (a loaded machine, the
		// race detector) is not read as a file pushed at its own pace.
		if err := c.writeSample(clip.Frames[i], true); err != nil {
			return
		}
		i = (i + 1) % len(clip.Frames)
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// PlayActor sends the actor's frames, rendered and encoded as they are
// due, one per 1/fps, until ctx ends. A frame's time is its due time since
// t0; when rendering and encoding fall behind, late ticks are dropped (the
// rate falls, the motion keeps its speed), as a slow camera does.
func (c *Client) PlayActor(ctx context.Context, a Actor, fps int, t0 time.Time) {
	tick := time.NewTicker(time.Second / time.Duration(fps))
	defer tick.Stop()
	at := time.Now()
	for {
		// A face rendered live is a camera: its RTP clock is the wall clock.
		if err := c.sendFrame(a.Frame(at.Sub(t0)), true); err != nil {
			return
		}
		select {
		case at = <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// Messages returns a buffered channel and the Options.OnMessage that
// feeds it (a message that finds the buffer full is dropped).
func Messages(n int) (<-chan []byte, func([]byte)) {
	ch := make(chan []byte, n)
	return ch, func(m []byte) {
		select {
		case ch <- m:
		default:
		}
	}
}

// RetryAfterSeconds parses an HTTPError's Retry-After.
func (e *HTTPError) RetryAfterSeconds() int {
	n, _ := strconv.Atoi(e.RetryAfter)
	return n
}
