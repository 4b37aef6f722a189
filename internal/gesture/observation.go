package gesture

import (
	"image"
	"math"
	"time"
)

// Quality is how usable a frame's face is. The Challenge turns it into
// hints; it never decides a gesture by itself.
type Quality struct {
	// FaceWidth is the face box width over the frame width.
	FaceWidth float64 `json:"face_width"`
	// Brightness is the mean grey level (0–255) inside the face box.
	Brightness float64 `json:"brightness"`
	// Sharpness is the mean absolute Laplacian inside the face box, in grey
	// levels: a few units for a blurred or flat face, 10 and more when sharp.
	Sharpness float64 `json:"sharpness"`
	// Outside is true when the face box runs past the frame's edge.
	Outside bool `json:"outside"`
	// LineRatio compares the fine detail across rows with that across
	// columns in the face box (second differences of the row-mean and
	// column-mean profiles): about 1–1.6 for a face in front of a camera,
	// much more for a face on a display, whose line structure (scan lines,
	// moiré) adds row-to-row ripple. 0 when unknown.
	LineRatio float64 `json:"line_ratio"`
}

// Observation is what the Engine saw in one frame. When Faces is 0 only T,
// Width, Height and Track (0) are meaningful.
type Observation struct {
	// T is the frame's capture time (the sender's clock): every rule but
	// the pacing's uses it.
	T time.Time `json:"t"`
	// Arrival is the server's clock when the frame arrived; the pacing
	// (wait, instruction, onset, reaction) uses it, since T is whatever the
	// page's RTP timestamps say. Zero means T (offline callers).
	Arrival       time.Time `json:"arrival,omitzero"`
	Width, Height int       `json:"-"`
	// Faces is the number of faces found at the last detection.
	Faces int `json:"faces"`
	// Track identifies the tracked face; it changes when the engine lost the
	// face or jumped to another one, 0 when there is none.
	Track int             `json:"track"`
	Box   image.Rectangle `json:"box"`
	// Landmarks are the tracked face's 68 points in iBUG order.
	Landmarks Landmarks `json:"-"`
	// Yaw, Pitch and Roll are the head pose in degrees (Pose's convention:
	// yaw > 0 toward the user's own left, pitch > 0 up).
	Yaw   float64 `json:"yaw"`
	Pitch float64 `json:"pitch"`
	Roll  float64 `json:"roll"`
	// PoseRMS is the reprojection error of the pose, pixels.
	PoseRMS float64 `json:"pose_rms"`
	// EyeLeft and EyeRight are the eye aspect ratios of the user's own left
	// (42–47) and right (36–41) eyes.
	EyeLeft  float64 `json:"eye_left"`
	EyeRight float64 `json:"eye_right"`
	// EyeContrastLeft and EyeContrastRight measure each eye's openness from
	// the picture (grey-level contrast around the eye, see eyeContrast); 0
	// when there is no picture. The landmark model's shape prior moves both
	// lids together, so a wink shows here much more than in the EAR.
	EyeContrastLeft  float64 `json:"eye_contrast_left"`
	EyeContrastRight float64 `json:"eye_contrast_right"`
	// Mouth is the inner-lip opening over the mouth width.
	Mouth   float64 `json:"mouth"`
	Quality Quality `json:"quality"`
	// Continuity is how little the picture around the face changed since
	// the previous frame: the Engine cuts the face box of the previous
	// frame, grown to twice its width and height, into a 4×4 grid and
	// compares the outer ring of cells (hair, neck, shoulders, background)
	// in both frames: the correlation of their mean grey levels less their
	// relative change of mean level. About 1 for a head turning in place,
	// near 0 or below for a cut to another picture; 0 when unknown (no
	// picture, no previous frame). The jump filter uses it to tell a fast
	// real turn from a swapped picture.
	Continuity float64 `json:"continuity"`
}

// Measure fills the pose, eye and mouth fields of o from o.Landmarks, with
// the camera guessed from o.Width and o.Height. It does not allocate.
func (o *Observation) Measure() {
	p := SolvePose(GuessCamera(o.Width, o.Height), &o.Landmarks)
	o.Yaw, o.Pitch, o.Roll, o.PoseRMS = p.Yaw, p.Pitch, p.Roll, p.RMS
	o.EyeLeft, o.EyeRight = EyeOpenness(&o.Landmarks)
	o.Mouth = MouthOpenness(&o.Landmarks)
}

// ObservationFromLandmarks builds the observation of one tracked face from
// its landmarks alone: box from the points' bounds, pose, eyes and mouth, a
// FaceWidth quality; brightness and sharpness are left at "good" values.
// Tests and tools that have landmarks but no picture use it.
func ObservationFromLandmarks(t time.Time, w, h int, lm *Landmarks, track int) Observation {
	o := Observation{T: t, Width: w, Height: h, Faces: 1, Track: track, Landmarks: *lm}
	x0, y0, x1, y1 := Bounds(lm)
	o.Box = image.Rect(int(math.Floor(float64(x0))), int(math.Floor(float64(y0))), int(math.Ceil(float64(x1))), int(math.Ceil(float64(y1))))
	o.Measure()
	o.Quality = Quality{
		FaceWidth:  float64(o.Box.Dx()) / float64(w),
		Brightness: 128,
		Sharpness:  20,
		Outside:    !o.Box.In(image.Rect(0, 0, w, h)),
	}
	return o
}
