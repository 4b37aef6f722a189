// Package perception owns livegate's OpenCV models and is, with
// internal/codec/vpx, the only package that declares cgo or imports gocv.
// Everything that judges a face (internal/gesture) stays pure Go and gets
// what it needs from here as plain values: image.Gray in, gesture.Face and
// gesture.Landmarks out.
//
// Its shape, for each model added later (embeddings):
//
//   - one file per model: detector.go is YuNet face detection through a
//     small cgo shim around cv::FaceDetectorYN (cgo.go, yunet_shim.{h,cpp};
//     gocv v0.32 lacks it); antispoof.go is MiniFASNet presentation-attack
//     scoring through gocv's dnn module (colour image and gesture.Face in,
//     a probability of "real" out), not yet used by the server;
//   - one loader, Load (models.go): every model is read once per process;
//     what is immutable (the pure-Go 68-point landmark model) is shared,
//     what holds OpenCV state (a Detector's Mats) is pooled, one per
//     analysis that may run at once, and borrowed for each call, so no
//     session's engine owns a Mat;
//   - model files are found in one place (paths.go).
//
// Models also serve the single-image checker (StillModels) and photo
// landmarking for the test-footage generator (PhotoLandmarker).
package perception
