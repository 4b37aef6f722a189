package vpx

// All cgo build flags of the package live here (gocv's cgo.go pattern), so a
// change of how libvpx is found touches one line.

// #cgo pkg-config: vpx
// #cgo CFLAGS: -O2
import "C"
