// Package gesture is livegate's gesture engine in pure Go: per frame, an
// Engine turns a grey picture into an Observation (face box, 68 landmarks,
// head pose, eye and mouth openness, quality); per session, a Challenge
// turns the stream of observations into events (hints, progress, matched,
// wrong or timed-out gestures) and a GLAIR gesture status.
//
// Face detection and landmark prediction come in through the FaceDetector
// and LandmarkPredictor interfaces; the OpenCV detector lives in
// internal/perception (which returns this package's Face) and the 68-point
// model in landmarks, so this package and its tests build without cgo.
//
// Conventions: image x grows to the right and y down, in the NON-mirrored
// camera picture the server receives. Head directions follow the user's own
// point of view: yaw > 0 is the user turning to their own left (HEAD_LEFT),
// which moves their nose toward larger x; pitch > 0 is looking up. The
// user's right eye (iBUG 36–41) appears on the image's left.
package gesture
