package templates

import "github.com/livegate/livegate/internal/web/i18n"

// ReportView is the session report an integrator's back office opens from
// the API's signed report_url: the verdict, the liveness signals, the
// evidence images and, per asked gesture, a chart of its measure against
// its threshold with the key figures as a table (the chart's text
// equivalent). Every number is formatted already.
type ReportView struct {
	SID      string
	Passed   bool
	Result   string // "Passed" / "Failed", in the page's language
	Score    string // "87.5"; "" without one
	PassMark string
	Attack   string
	Attempts string
	Signals  []ReportSignal
	// Images are the session's evidence images; the section is left out
	// when there are none.
	Images   []ReportImage
	Gestures []ReportGesture
}

// ReportSignal is one row of the liveness breakdown.
type ReportSignal struct{ Name, Score, Reason string }

// ReportImage is one evidence image: its name (image_far, best_frontal, …),
// its URL (signed, same origin) and its text alternative.
type ReportImage struct{ Name, URL, Alt string }

// ReportGesture is one asked gesture's evidence.
type ReportGesture struct {
	ID      string // unique in the page, for the chart's title and desc
	Title   string
	Matched bool
	Chart   ReportChart
	Figures []ReportFigure
}

// ReportFigure is one row of a gesture's table of key figures.
type ReportFigure struct {
	Label, Value string
	TestID       string
}

// ReportChart is a gesture's inline SVG chart, laid out by the server.
type ReportChart struct {
	Width, Height string // the viewBox's size
	Title, Desc   string
	// Plot is the plot area; Line the measure's polyline points.
	PlotX, PlotY, PlotW, PlotH string
	PlotRight, PlotBottom      string
	Line                       string
	Threshold, Release         ReportRule
	Held                       []ReportSpan
	Marks                      []ReportMark
	XTicks, YTicks             []ReportTick
	XLabel                     string
	XLabelX, XLabelY           string
}

// ReportRule is a horizontal level: its y and label.
type ReportRule struct{ Y, Label string }

// ReportSpan is a shaded span of the plot: from x, w wide.
type ReportSpan struct{ X, W string }

// ReportMark is a moment: a vertical line at X and its label.
type ReportMark struct {
	X, Label, Kind string
	LabelY         string
	// Anchor and DX place the label after the line, or before it in the
	// plot's right half.
	Anchor, DX string
}

// ReportTick is an axis tick at Pos (x or y) with its label.
type ReportTick struct{ Pos, Label string }

// ScoreLabel is the score's label with the pass mark filled in.
func (v ReportView) ScoreLabel(m *i18n.Messages) string {
	return i18n.Format(m.ReportLivenessScore, "pass", v.PassMark)
}

func (c ReportChart) plotRight() string  { return c.PlotRight }
func (c ReportChart) plotBottom() string { return c.PlotBottom }
