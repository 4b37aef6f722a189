// Package i18n holds the catalogues of every string the end user's pages and
// the demo show, one JSON file per language, and the rules that choose a
// language for a request.
//
// The catalogues decode into one struct, so a template can only name a
// string that exists, and a test proves that every language fills every
// field. Translators edit the JSON files; they never touch a template.
package i18n

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Default is the language used when neither the session nor the browser
// names one that livegate ships.
const Default = "en"

//go:embed *.json
var files embed.FS

// Messages is one language's catalogue. Placeholders are written {name} and
// filled with Format.
type Messages struct {
	Lang        string `json:"lang"`         // BCP 47 tag, for <html lang>
	Brand       string `json:"brand"`        // header of every page
	PoweredBy   string `json:"powered_by"`   // footer
	DayOne      string `json:"day_one"`      // "1 day"
	DayOther    string `json:"day_other"`    // "{n} days"
	HourOne     string `json:"hour_one"`     // "1 hour"
	HourOther   string `json:"hour_other"`   // "{n} hours"
	MinuteOne   string `json:"minute_one"`   // "1 minute"
	MinuteOther string `json:"minute_other"` // "{n} minutes"

	ConsentTitle        string `json:"consent_title"`
	ConsentLead         string `json:"consent_lead"`
	ConsentStepsHeading string `json:"consent_steps_heading"`
	ConsentStep1        string `json:"consent_step_1"`
	ConsentStep2        string `json:"consent_step_2"`
	ConsentStep2Passive string `json:"consent_step_2_passive"`
	ConsentStep3        string `json:"consent_step_3"`
	ConsentWhyHeading   string `json:"consent_why_heading"`
	ConsentWhyBody      string `json:"consent_why_body"`
	ConsentKeptHeading  string `json:"consent_kept_heading"`
	ConsentKeptBody     string `json:"consent_kept_body"` // {period}
	// ConsentNoPictures and ConsentPicturesKept say whether still pictures
	// of the face (the evidence images) are kept: none, or for {period}
	// after the check (a session whose biometric retention keeps them, on
	// a server that keeps images).
	ConsentNoPictures   string `json:"consent_no_pictures"`
	ConsentPicturesKept string `json:"consent_pictures_kept"` // {period}
	// ConsentFaceKept and ConsentFaceUsed tell a session with a reference
	// photo (verify_image) what becomes of its face data: kept for {period}
	// after the check, or used for the check only.
	ConsentFaceKept    string `json:"consent_face_kept"` // {period}
	ConsentFaceUsed    string `json:"consent_face_used"`
	ConsentPrivacy     string `json:"consent_privacy"`
	ConsentTipsHeading string `json:"consent_tips_heading"`
	ConsentTip1        string `json:"consent_tip_1"`
	ConsentTip2        string `json:"consent_tip_2"`
	ConsentTip3        string `json:"consent_tip_3"`
	ConsentActions     string `json:"consent_actions"` // accessible name of the button group

	BtnStart    string `json:"btn_start"`
	BtnCancel   string `json:"btn_cancel"`
	BtnContinue string `json:"btn_continue"`
	BtnBack     string `json:"btn_back"`

	ExpiredTitle            string `json:"expired_title"`
	ExpiredBody             string `json:"expired_body"`
	NotFoundTitle           string `json:"not_found_title"`
	NotFoundBody            string `json:"not_found_body"`
	FinishedTitle           string `json:"finished_title"`
	FinishedBody            string `json:"finished_body"`
	CanceledTitle           string `json:"canceled_title"`
	CanceledBody            string `json:"canceled_body"`
	InUseTitle              string `json:"in_use_title"`
	InUseBody               string `json:"in_use_body"`
	LockedTitle             string `json:"locked_title"`
	LockedBody              string `json:"locked_body"`
	SlowDownTitle           string `json:"slow_down_title"` // too many page requests from one address (429)
	SlowDownBody            string `json:"slow_down_body"`
	CaptureUnavailableTitle string `json:"capture_unavailable_title"`
	CaptureUnavailableBody  string `json:"capture_unavailable_body"`
	ForbiddenTitle          string `json:"forbidden_title"`
	ForbiddenBody           string `json:"forbidden_body"`
	ErrorTitle              string `json:"error_title"`
	ErrorBody               string `json:"error_body"`

	// The live capture screen. capture.js reads these from the page (never
	// from its own code), so the script carries no text.
	CaptureTitle          string `json:"capture_title"`
	CaptureNoscript       string `json:"capture_noscript"`
	StartingTitle         string `json:"starting_title"`
	StartingBody          string `json:"starting_body"`
	Connecting            string `json:"connecting"`
	GetReady              string `json:"get_ready"`
	WaitStill             string `json:"wait_still"` // the random wait before an instruction
	VideoLabel            string `json:"video_label"`
	StepOf                string `json:"step_of"` // {n}, {total}
	OverallProgress       string `json:"overall_progress"`
	Matched               string `json:"matched"`
	Saving                string `json:"saving"`    // the result waits for the store (protocol's saving)
	OpenEyes              string `json:"open_eyes"` // after an eye closure matched, with a tone
	InstrHeadLeft         string `json:"instr_head_left"`
	InstrHeadRight        string `json:"instr_head_right"`
	InstrHeadUp           string `json:"instr_head_up"`
	InstrHeadDown         string `json:"instr_head_down"`
	InstrEyesClosed       string `json:"instr_eyes_closed"`
	InstrRightEyeClosed   string `json:"instr_right_eye_closed"`
	InstrLeftEyeClosed    string `json:"instr_left_eye_closed"`
	InstrEyesOpen         string `json:"instr_eyes_open"`
	InstrOpenMouth        string `json:"instr_open_mouth"`
	InstrCloseMouth       string `json:"instr_close_mouth"`
	HintMoveCloser        string `json:"hint_move_closer"`
	HintMoveBack          string `json:"hint_move_back"`
	HintMoreLight         string `json:"hint_more_light"`
	HintOneFace           string `json:"hint_one_face"`
	HintHoldStill         string `json:"hint_hold_still"`
	HintFaceCamera        string `json:"hint_face_camera"`
	HintCenterFace        string `json:"hint_center_face"`
	FaceLost              string `json:"face_lost"`
	DeniedTitle           string `json:"denied_title"`
	DeniedBody            string `json:"denied_body"`
	DeniedHelpHeading     string `json:"denied_help_heading"`
	DeniedChrome          string `json:"denied_chrome"`
	DeniedSafari          string `json:"denied_safari"`
	DeniedFirefox         string `json:"denied_firefox"`
	NoCameraTitle         string `json:"no_camera_title"`
	NoCameraBody          string `json:"no_camera_body"`
	BusyTitle             string `json:"busy_title"`
	BusyBody              string `json:"busy_body"`
	UnsupportedTitle      string `json:"unsupported_title"`
	UnsupportedBody       string `json:"unsupported_body"`
	InAppTitle            string `json:"in_app_title"`
	InAppBody             string `json:"in_app_body"`
	LinkLabel             string `json:"link_label"`
	BtnCopy               string `json:"btn_copy"`
	Copied                string `json:"copied"`
	ConnectionFailedTitle string `json:"connection_failed_title"`
	ConnectionFailedBody  string `json:"connection_failed_body"`
	AttemptFailedTitle    string `json:"attempt_failed_title"`
	ReasonNotMatch        string `json:"reason_not_match"`
	ReasonNoFace          string `json:"reason_no_face"`
	ReasonManyFaces       string `json:"reason_many_faces"`
	ReasonTimeout         string `json:"reason_timeout"`
	ReasonConnectionLost  string `json:"reason_connection_lost"`
	ReasonEarly           string `json:"reason_early"`
	ReasonLate            string `json:"reason_late"`
	ReasonWrongGesture    string `json:"reason_wrong_gesture"`
	AttemptsLeftOne       string `json:"attempts_left_one"`
	AttemptsLeftOther     string `json:"attempts_left_other"` // {n}
	BtnTryAgain           string `json:"btn_try_again"`
	BtnReload             string `json:"btn_reload"`
	SuccessTitle          string `json:"success_title"`
	SuccessBody           string `json:"success_body"`
	FailedTitle           string `json:"failed_title"`
	FailedBody            string `json:"failed_body"`
	RevokedTitle          string `json:"revoked_title"`
	RevokedBody           string `json:"revoked_body"`
	ReplacedTitle         string `json:"replaced_title"`
	ReplacedBody          string `json:"replaced_body"`
	ShutdownTitle         string `json:"shutdown_title"`
	ShutdownBody          string `json:"shutdown_body"`
	TimeLimitTitle        string `json:"time_limit_title"`
	TimeLimitBody         string `json:"time_limit_body"`

	DemoTitle         string `json:"demo_title"`
	DemoLead          string `json:"demo_lead"`
	DemoNotice        string `json:"demo_notice"`
	DemoStep1         string `json:"demo_step_1"`
	DemoStep2         string `json:"demo_step_2"`
	DemoStep3         string `json:"demo_step_3"`
	DemoBtnCreate     string `json:"demo_btn_create"`
	DemoCreatedTitle  string `json:"demo_created_title"`
	DemoCreateFailed  string `json:"demo_create_failed"`
	DemoRequest       string `json:"demo_request"`
	DemoResponse      string `json:"demo_response"`
	DemoHTTPStatus    string `json:"demo_http_status"`
	DemoOpenPage      string `json:"demo_open_page"`
	DemoDoneTitle     string `json:"demo_done_title"`
	DemoCanceledTitle string `json:"demo_canceled_title"`
	DemoResultLead    string `json:"demo_result_lead"`
	DemoMissingSID    string `json:"demo_missing_sid"`
	DemoAgain         string `json:"demo_again"`

	// The session report (GET /report/{sid}): an integrator's back office,
	// not the end user.
	ReportTitle             string `json:"report_title"`
	ReportLead              string `json:"report_lead"`
	ReportSummaryHeading    string `json:"report_summary_heading"`
	ReportResult            string `json:"report_result"`
	ReportPassed            string `json:"report_passed"`
	ReportFailed            string `json:"report_failed"`
	ReportLivenessScore     string `json:"report_liveness_score"`
	ReportAttack            string `json:"report_attack"`
	ReportAttempts          string `json:"report_attempts"`
	ReportSignalsHeading    string `json:"report_signals_heading"`
	ReportSignal            string `json:"report_signal"`
	ReportScore             string `json:"report_score"`
	ReportReason            string `json:"report_reason"`
	ReportNoData            string `json:"report_no_data"`
	ReportImagesHeading     string `json:"report_images_heading"`
	ReportGesturesHeading   string `json:"report_gestures_heading"`
	ReportGestureN          string `json:"report_gesture_n"`
	ReportNoEvidence        string `json:"report_no_evidence"`
	ReportChartDesc         string `json:"report_chart_desc"`
	ReportTimeAxis          string `json:"report_time_axis"`
	ReportFigure            string `json:"report_figure"`
	ReportValue             string `json:"report_value"`
	ReportOutcome           string `json:"report_outcome"`
	ReportMatched           string `json:"report_matched"`
	ReportNotMatched        string `json:"report_not_matched"`
	ReportWhy               string `json:"report_why"`
	ReportThreshold         string `json:"report_threshold"`
	ReportPeak              string `json:"report_peak"`
	ReportMarkInstruction   string `json:"report_mark_instruction"`
	ReportMarkOnset         string `json:"report_mark_onset"`
	ReportMarkHeld          string `json:"report_mark_held"`
	ReportMarkMatched       string `json:"report_mark_matched"`
	ReportMarkEnd           string `json:"report_mark_end"`
	ReportPlanar            string `json:"report_planar"`
	ReportParallax          string `json:"report_parallax"`
	ReportLineRatio         string `json:"report_line_ratio"`
	ReportSamples           string `json:"report_samples"`
	ReportSeconds           string `json:"report_seconds"`
	ReportMeasureYaw        string `json:"report_measure_yaw"`
	ReportMeasurePitch      string `json:"report_measure_pitch"`
	ReportMeasureEyeClosure string `json:"report_measure_eye_closure"`
	ReportMeasureMouth      string `json:"report_measure_mouth"`
	ReportFailEarly         string `json:"report_fail_early"`
	ReportFailLate          string `json:"report_fail_late"`
	ReportFailWrongGesture  string `json:"report_fail_wrong_gesture"`
	ReportFailTimeout       string `json:"report_fail_timeout"`
	ReportFailScreen        string `json:"report_fail_screen"`
	ReportFailPlanar        string `json:"report_fail_planar"`
	ReportFailJump          string `json:"report_fail_jump"`
	ReportFailLostFace      string `json:"report_fail_lost_face"`
	ReportFailTooManyFaces  string `json:"report_fail_too_many_faces"`
	ReportInvalidTitle      string `json:"report_invalid_title"`
	ReportInvalidBody       string `json:"report_invalid_body"`
}

// Format replaces each {key} in s with its value; pairs are key, value.
func Format(s string, pairs ...string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, "{"+pairs[i]+"}", pairs[i+1])
	}
	return s
}

// Days is "1 day" or "{n} days" in the catalogue's language.
func (m *Messages) Days(n int) string {
	if n == 1 {
		return m.DayOne
	}
	return Format(m.DayOther, "n", strconv.Itoa(n))
}

// Period is d in words in the catalogue's language: whole days, else whole
// hours, else minutes rounded up ("2 days", "36 hours", "1 minute").
func (m *Messages) Period(d time.Duration) string {
	const day = 24 * time.Hour
	n := func(one, other string, k int64) string {
		if k == 1 {
			return one
		}
		return Format(other, "n", strconv.FormatInt(k, 10))
	}
	switch {
	case d >= day && d%day == 0:
		return m.Days(int(d / day))
	case d >= time.Hour && d%time.Hour == 0:
		return n(m.HourOne, m.HourOther, int64(d/time.Hour))
	default:
		return n(m.MinuteOne, m.MinuteOther, int64(max((d+time.Minute-1)/time.Minute, 1)))
	}
}

// Catalogues holds every shipped language.
type Catalogues struct {
	byLang map[string]*Messages
}

// Load decodes the embedded catalogues. It fails when a file has an unknown
// key or leaves a string empty, so a broken translation stops the server at
// start-up rather than showing a blank button.
func Load() (*Catalogues, error) {
	c := &Catalogues{byLang: map[string]*Messages{}}
	entries, err := files.ReadDir(".")
	if err != nil {
		return nil, fmt.Errorf("i18n: %w", err)
	}
	for _, e := range entries {
		b, err := files.ReadFile(e.Name())
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		m := new(Messages)
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", e.Name(), err)
		}
		if empty := emptyFields(m); len(empty) > 0 {
			return nil, fmt.Errorf("i18n: %s: empty strings: %s", e.Name(), strings.Join(empty, ", "))
		}
		lang := strings.TrimSuffix(e.Name(), ".json")
		if m.Lang != lang {
			return nil, fmt.Errorf("i18n: %s: lang is %q", e.Name(), m.Lang)
		}
		c.byLang[lang] = m
	}
	if c.byLang[Default] == nil {
		return nil, fmt.Errorf("i18n: no %s catalogue", Default)
	}
	return c, nil
}

func emptyFields(m *Messages) []string {
	var out []string
	v := reflect.ValueOf(m).Elem()
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).String() == "" {
			out = append(out, v.Type().Field(i).Name)
		}
	}
	return out
}

// Langs lists the shipped languages, sorted.
func (c *Catalogues) Langs() []string {
	out := make([]string, 0, len(c.byLang))
	for l := range c.byLang {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Get returns the catalogue for lang, or the default one.
func (c *Catalogues) Get(lang string) *Messages {
	if m := c.byLang[lang]; m != nil {
		return m
	}
	return c.byLang[Default]
}

// Choose picks the page language: the session's locale when it names a
// shipped language, else the best match of the Accept-Language header, else
// Default.
func (c *Catalogues) Choose(sessionLocale, acceptLanguage string) *Messages {
	if m := c.byLang[strings.ToLower(sessionLocale)]; m != nil {
		return m
	}
	return c.Get(c.negotiate(acceptLanguage))
}

// negotiate returns the shipped language the browser prefers most, matching
// on the primary subtag ("id-ID" is "id"). "in" is the withdrawn ISO code for
// Indonesian that old Android browsers still send.
func (c *Catalogues) negotiate(header string) string {
	best, bestQ := Default, 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if primary == "in" {
			primary = "id"
		}
		if c.byLang[primary] == nil || q <= bestQ {
			continue
		}
		best, bestQ = primary, q
	}
	return best
}

// ConsentVersion names the consent text of m as the end user read it: its
// language and the first 12 hex digits of the SHA-256 of its words, so that
// an audit entry says which text was agreed to and any change of wording
// gives a new version. shown are the screen's paragraphs that vary by
// session, as rendered (the retention periods filled in): a session told
// another period read another text.
func (m *Messages) ConsentVersion(shown ...string) string {
	h := sha256.New()
	for _, part := range append([]string{m.ConsentTitle, m.ConsentLead, m.ConsentStepsHeading, m.ConsentStep1, m.ConsentStep2,
		m.ConsentStep2Passive, m.ConsentStep3, m.ConsentWhyHeading, m.ConsentWhyBody, m.ConsentKeptHeading,
		m.ConsentPrivacy}, shown...) {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return m.Lang + "-" + hex.EncodeToString(h.Sum(nil))[:12]
}
