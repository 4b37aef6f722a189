// Package facegen renders synthetic face video with per-frame ground truth,
// so that tests of the gesture engine, the media pipeline and the pages can
// run without a person in front of a camera.
//
// A clip is rendered from one real, roughly frontal photo. The photo's 68
// landmarks (found once by the engine's own detector and landmark model,
// passed in as a Landmarker: see EngineLandmarks; this package is pure Go
// and imports no OpenCV) get
// depths from a generic 3D face model; the head is rotated in 3D, projected
// with a pinhole camera and the photo is warped triangle by triangle, so the
// nose moves against the cheeks as in a real head turn. Eyes close by
// stretching the lid skin over the eye, the mouth opens onto a dark interior,
// and the background stays still.
//
// Conventions (the clip is what the camera sees, never mirrored):
//   - yaw > 0: the user turned to their own left (HEAD_LEFT). Facing the
//     camera, the user's left is the camera's right, so the nose moves toward
//     larger x in the image.
//   - pitch > 0: the user looks up (HEAD_UP); the nose moves toward smaller y.
//   - roll > 0: the user tilts the head toward their own left shoulder; the
//     top of the head moves toward larger x (clockwise on screen).
//   - "left eye" is the user's left eye, which appears on the image's right
//     (iBUG landmarks 42–47); HEAD_10 closes it, HEAD_01 closes the user's
//     right eye (landmarks 36–41, on the image's left).
package facegen
