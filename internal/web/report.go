package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/livegate/livegate/internal/session"
	"github.com/livegate/livegate/internal/signedurl"
	"github.com/livegate/livegate/internal/web/i18n"
	"github.com/livegate/livegate/web/templates"
)

// The session report (issue 13): GET /report/{sid}?exp=…&sig=…[&lang=id],
// the page an integrator's back office opens from the API's report_url. The
// signed link stands in for the API key, which must never reach a browser:
// a link that is tampered with or expired answers 403, a session that is
// unknown, purged or not finished 404. Nothing on it is the end user's
// business, and it changes nothing.

// ReportPath is the path of a session's report page; the API signs it.
func ReportPath(sid string) string { return "/report/" + sid }

// ReportImages lists a session's evidence images for its report; the
// report leaves the section out when there are none.
type ReportImages interface {
	ReportImages(ctx context.Context, s *session.Session) []templates.ReportImage
}

// serveReport is GET /report/{sid}.
func (h *Handler) serveReport(w http.ResponseWriter, r *http.Request) {
	sid := r.PathValue("sid")
	msg := h.catalogues.Choose(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"))
	if h.reports == nil || !session.ValidID(sid) {
		h.notFound(w, r, msg)
		return
	}
	if err := h.reports.Verify(ReportPath(sid), r.URL.Query(), h.now()); err != nil {
		reason := "signature"
		if errors.Is(err, signedurl.ErrExpired) {
			reason = "expired"
		}
		h.log.WarnContext(r.Context(), "web: report link refused", "sid", sid, "reason", reason)
		h.message(w, r, http.StatusForbidden, msg, h.csp(nil), templates.MessageView{
			TestID: "screen-report-invalid", Icon: "icon-alert", Title: msg.ReportInvalidTitle, Body: msg.ReportInvalidBody,
		})
		return
	}
	s, err := h.store.Get(r.Context(), sid)
	if err != nil {
		h.storeError(w, r, msg, sid, err)
		return
	}
	if s.Status != session.StatusFinished || s.Result == nil {
		h.notFound(w, r, msg)
		return
	}
	var images []templates.ReportImage
	if h.images != nil {
		images = h.images.ReportImages(r.Context(), s)
	}
	p := h.page(msg, msg.ReportTitle)
	p.Wide, p.Styles = true, []string{"report.css"}
	h.render(w, r, http.StatusOK, h.csp(nil), templates.Report(p, reportView(msg, s, images)))
}

// reportView lays out the report of a finished session.
func reportView(msg *i18n.Messages, s *session.Session, images []templates.ReportImage) templates.ReportView {
	res := s.Result
	v := templates.ReportView{
		SID:      s.ID,
		Passed:   res.Status == "success",
		Result:   msg.ReportFailed,
		Attempts: strconv.Itoa(res.Attempts),
		Images:   images,
	}
	if v.Passed {
		v.Result = msg.ReportPassed
	}
	if res.LivenessScore != nil {
		v.Score = num(*res.LivenessScore, 1)
	}
	if res.AttackType != nil {
		v.Attack = *res.AttackType
	}
	if d := res.Liveness; d != nil {
		v.PassMark = num(d.PassMark, 1)
		for _, sg := range d.Signals {
			score := msg.ReportNoData
			if sg.Score != nil {
				score = num(*sg.Score, 1)
			}
			v.Signals = append(v.Signals, templates.ReportSignal{Name: sg.Name, Score: score, Reason: sg.Reason})
		}
	}
	for i := range res.Evidence {
		v.Gestures = append(v.Gestures, reportGesture(msg, i, &res.Evidence[i]))
	}
	return v
}

// reportGesture is one gesture's section: its chart and key figures.
func reportGesture(msg *i18n.Messages, i int, e *session.GestureEvidence) templates.ReportGesture {
	title := i18n.Format(msg.ReportGestureN, "n", strconv.Itoa(i+1), "gesture", string(e.Gesture))
	g := templates.ReportGesture{
		ID:      fmt.Sprintf("g%d", i+1),
		Title:   title,
		Matched: e.Status == session.GestureMatch,
	}
	measure := measureName(msg, e.Measure)
	g.Chart = chart(msg, e, title, measure)
	outcome := msg.ReportNotMatched + " (" + string(e.Status) + ")"
	if g.Matched {
		outcome = msg.ReportMatched
	}
	fig := func(id, label, value string) {
		g.Figures = append(g.Figures, templates.ReportFigure{Label: label, Value: value, TestID: "figure-" + id})
	}
	fig("outcome", msg.ReportOutcome, outcome)
	if e.Failure != "" {
		fig("failure", msg.ReportWhy, failureText(msg, e.Failure))
	}
	fig("threshold", msg.ReportThreshold, measure+": "+num(e.Threshold, 3))
	if n := e.Samples.Len(); n > 0 {
		peak := float64(e.Samples.Measure[0])
		for _, m := range e.Samples.Measure {
			if e.Below {
				peak = math.Min(peak, float64(m))
			} else {
				peak = math.Max(peak, float64(m))
			}
		}
		fig("peak", msg.ReportPeak, num(peak, 3))
	}
	for _, m := range []struct {
		id, label string
		at        *int64
	}{{"onset", msg.ReportMarkOnset, e.OnsetMS}, {"held", msg.ReportMarkHeld, e.HeldMS}, {"matched", msg.ReportMarkMatched, e.MatchedMS}} {
		if m.at != nil {
			fig(m.id, m.label, seconds(msg, *m.at))
		}
	}
	fig("end", msg.ReportMarkEnd, seconds(msg, e.EndMS))
	if t := e.Turn; t != nil {
		fig("planar", i18n.Format(msg.ReportPlanar, "min", num(t.PlanarMin, 3)), num(t.Planar, 3))
		fig("parallax", i18n.Format(msg.ReportParallax, "min", num(t.ParallaxMin, 3)), num(t.Parallax, 3))
	}
	if sc := e.Screen; sc != nil {
		fig("line-ratio", i18n.Format(msg.ReportLineRatio, "limit", num(sc.Limit, 2)), num(sc.BaselineLineRatio, 2)+" / "+num(sc.HeldLineRatio, 2))
	}
	fig("samples", msg.ReportSamples, strconv.Itoa(e.Samples.Len()))
	return g
}

// The chart's layout, in viewBox units.
const (
	chartW, chartH             = 720, 260
	plotL, plotT, plotR, plotB = 56, 16, 12, 48
	plotW, plotH               = chartW - plotL - plotR, chartH - plotT - plotB
	markLabelStep              = 14
)

// chart lays out e's measure over time against its threshold.
func chart(msg *i18n.Messages, e *session.GestureEvidence, title, measure string) templates.ReportChart {
	s := &e.Samples
	// The time axis runs from the first sample (or the instruction) to the
	// end; the value axis covers the samples and both levels.
	t0, t1 := int64(0), e.EndMS
	lo, hi := math.Min(e.Threshold, e.Release), math.Max(e.Threshold, e.Release)
	for i := range s.T {
		t0, t1 = min(t0, s.T[i]), max(t1, s.T[i])
		lo, hi = math.Min(lo, float64(s.Measure[i])), math.Max(hi, float64(s.Measure[i]))
	}
	if t1 <= t0 {
		t1 = t0 + 1000
	}
	pad := (hi - lo) * 0.08
	if pad == 0 {
		pad = 1
	}
	lo, hi = lo-pad, hi+pad
	x := func(t int64) float64 { return plotL + float64(t-t0)/float64(t1-t0)*plotW }
	y := func(v float64) float64 { return plotT + (hi-v)/(hi-lo)*plotH }

	c := templates.ReportChart{
		Width: strconv.Itoa(chartW), Height: strconv.Itoa(chartH),
		Title: title + ": " + measure,
		Desc:  i18n.Format(msg.ReportChartDesc, "measure", measure, "threshold", num(e.Threshold, 3)),
		PlotX: strconv.Itoa(plotL), PlotY: strconv.Itoa(plotT), PlotW: strconv.Itoa(plotW), PlotH: strconv.Itoa(plotH),
		PlotRight: strconv.Itoa(plotL + plotW), PlotBottom: strconv.Itoa(plotT + plotH),
		Threshold: templates.ReportRule{Y: coord(y(e.Threshold)), Label: msg.ReportThreshold + " " + num(e.Threshold, 3)},
		XLabel:    msg.ReportTimeAxis,
		XLabelX:   coord(plotL + plotW/2), XLabelY: strconv.Itoa(chartH - 6),
	}
	if e.Release != e.Threshold {
		c.Release = templates.ReportRule{Y: coord(y(e.Release))}
	}
	var b strings.Builder
	for i := range s.T {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(coord(x(s.T[i])))
		b.WriteByte(',')
		b.WriteString(coord(y(float64(s.Measure[i]))))
	}
	c.Line = b.String()
	for _, h := range e.Held {
		x0, x1 := x(h[0]), x(h[1])
		c.Held = append(c.Held, templates.ReportSpan{X: coord(x0), W: coord(math.Max(x1-x0, 2))})
	}
	marks := []struct {
		kind, label string
		at          *int64
	}{
		{"instruction", msg.ReportMarkInstruction, new(int64)},
		{"onset", msg.ReportMarkOnset, e.OnsetMS},
		{"held", msg.ReportMarkHeld, e.HeldMS},
		{"matched", msg.ReportMarkMatched, e.MatchedMS},
	}
	if e.MatchedMS == nil {
		marks = append(marks, struct {
			kind, label string
			at          *int64
		}{"end", msg.ReportMarkEnd, &e.EndMS})
	}
	n := 0
	for _, m := range marks {
		if m.at == nil || *m.at < t0 || *m.at > t1 {
			continue
		}
		mk := templates.ReportMark{
			X: coord(x(*m.at)), Label: m.label, Kind: m.kind,
			LabelY: strconv.Itoa(plotT + 12 + n*markLabelStep), Anchor: "start", DX: "3",
		}
		if x(*m.at) > plotL+plotW/2 {
			mk.Anchor, mk.DX = "end", "-3"
		}
		c.Marks = append(c.Marks, mk)
		n++
	}
	// Ticks: five on each axis.
	for k := 0; k <= 4; k++ {
		t := t0 + (t1-t0)*int64(k)/4
		c.XTicks = append(c.XTicks, templates.ReportTick{Pos: coord(x(t)), Label: num(float64(t)/1000, 1)})
		v := lo + (hi-lo)*float64(k)/4
		c.YTicks = append(c.YTicks, templates.ReportTick{Pos: coord(y(v)), Label: num(v, 2)})
	}
	return c
}

func measureName(msg *i18n.Messages, m string) string {
	switch m {
	case "yaw":
		return msg.ReportMeasureYaw
	case "pitch":
		return msg.ReportMeasurePitch
	case "eye_closure":
		return msg.ReportMeasureEyeClosure
	case "mouth":
		return msg.ReportMeasureMouth
	}
	return m
}

func failureText(msg *i18n.Messages, f string) string {
	t := map[string]string{
		"early": msg.ReportFailEarly, "late": msg.ReportFailLate, "wrong_gesture": msg.ReportFailWrongGesture,
		"timeout": msg.ReportFailTimeout, "screen": msg.ReportFailScreen, "planar": msg.ReportFailPlanar,
		"jump": msg.ReportFailJump, "lost_face": msg.ReportFailLostFace, "too_many_faces": msg.ReportFailTooManyFaces,
	}[f]
	if t == "" {
		return f
	}
	return t + " (" + f + ")"
}

func seconds(msg *i18n.Messages, ms int64) string {
	return i18n.Format(msg.ReportSeconds, "s", num(float64(ms)/1000, 2))
}

// num formats v with at most prec decimals, without trailing zeros.
func num(v float64, prec int) string {
	return trimZeros(strconv.FormatFloat(v, 'f', prec, 64))
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		return "0"
	}
	return s
}

// coord formats a viewBox coordinate to a tenth.
func coord(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }
