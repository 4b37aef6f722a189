package facegen

import (
	"encoding/json"
	"math"
	"strconv"
)

// Truth is what clip.truth.json holds: the clip's parameters, the scripted
// gestures and the ground truth of every frame.
type Truth struct {
	Generator   string       `json:"generator"`
	Conventions string       `json:"conventions"`
	Params      Params       `json:"params"`
	Width       int          `json:"width"`
	Height      int          `json:"height"`
	FPS         int          `json:"fps"`
	NumFrames   int          `json:"num_frames"`
	Live        bool         `json:"live"`
	Attack      string       `json:"attack"`
	Gestures    []Interval   `json:"gestures"`
	Blinks      []Blink      `json:"blinks"`
	Frames      []FrameTruth `json:"frames"`
}

// FrameTruth is the truth of one frame.
type FrameTruth struct {
	Index    int    `json:"i"`
	Time     R3     `json:"t"`
	Yaw      R3     `json:"yaw"`       // degrees, > 0: the user's own left
	Pitch    R3     `json:"pitch"`     // degrees, > 0: up
	Roll     R3     `json:"roll"`      // degrees, > 0: toward the user's left shoulder
	LeftEye  R3     `json:"left_eye"`  // openness of the user's left eye (image right), 0..1
	RightEye R3     `json:"right_eye"` // openness of the user's right eye (image left), 0..1
	Mouth    R3     `json:"mouth"`     // mouth opening, 0..1
	Box      Box    `json:"box"`       // the main face: landmarks and hairline
	Faces    int    `json:"faces"`     // faces in the frame
	Others   []Box  `json:"other_boxes,omitempty"`
	Live     bool   `json:"live"`              // a live 3D head (false for every attack frame)
	Attack   string `json:"attack"`            // none, flat, still, screen, loop
	LoopOf   *int   `json:"loop_of,omitempty"` // for a replayed loop: the frame this one repeats
	// Landmarks are the 68 iBUG points of the main face in this frame.
	Landmarks [][2]R1 `json:"landmarks"`
}

// Box is a rectangle in frame pixels: X, Y of the top-left corner, W, H.
type Box struct {
	X, Y, W, H int
}

// MarshalJSON writes a box as [x, y, w, h].
func (b Box) MarshalJSON() ([]byte, error) { return json.Marshal([4]int{b.X, b.Y, b.W, b.H}) }

// UnmarshalJSON reads [x, y, w, h].
func (b *Box) UnmarshalJSON(p []byte) error {
	var a [4]int
	if err := json.Unmarshal(p, &a); err != nil {
		return err
	}
	*b = Box{a[0], a[1], a[2], a[3]}
	return nil
}

// R3 is a float written with at most three decimals, so the truth is small
// and byte-identical across runs.
type R3 float64

// MarshalJSON writes r rounded to three decimals.
func (r R3) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, math.Round(float64(r)*1000)/1000, 'f', -1, 64), nil
}

// R1 is a float written with one decimal.
type R1 float64

// MarshalJSON writes r rounded to one decimal.
func (r R1) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, math.Round(float64(r)*10)/10, 'f', -1, 64), nil
}

const conventions = "Camera view, not mirrored. yaw>0: user turned to their own left (HEAD_LEFT), nose toward larger x; " +
	"pitch>0: user looks up (HEAD_UP), nose toward smaller y; roll>0: head tilted toward the user's left shoulder, clockwise on screen. " +
	"left_eye/right_eye are the user's own eyes (left eye = image right, iBUG 42-47). Openness 1 = as in the photo, 0 = closed; " +
	"mouth 0 = closed, 1 = fully open. box = [x, y, w, h] of the 68 landmarks and the hairline. " +
	"Gesture intervals: start_frame..end_frame is the step, full_frame the first frame at full amplitude."

func boxOf(pts []Pt, w, h int) Box {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		x0, y0 = math.Min(x0, p.X), math.Min(y0, p.Y)
		x1, y1 = math.Max(x1, p.X), math.Max(y1, p.Y)
	}
	X0, Y0 := int(math.Max(0, math.Floor(x0))), int(math.Max(0, math.Floor(y0)))
	X1, Y1 := int(math.Min(float64(w), math.Ceil(x1))), int(math.Min(float64(h), math.Ceil(y1)))
	if X1 < X0 {
		X1 = X0
	}
	if Y1 < Y0 {
		Y1 = Y0
	}
	return Box{X0, Y0, X1 - X0, Y1 - Y0}
}
