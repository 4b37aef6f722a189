package perception

// All cgo of this package lives in this file and in yunet_shim.{h,cpp}: the flags match
// gocv's (pkg-config opencv4), so the shim links against the same OpenCV as gocv.

/*
#cgo !windows pkg-config: opencv4
#cgo CXXFLAGS: --std=c++11
#include <stdlib.h>
#include "yunet_shim.h"
*/
import "C"

import (
	"errors"
	"unsafe"

	"gocv.io/x/gocv"
)

const shimErrLen = 512

// yunet is a handle to a cv::FaceDetectorYN owned by the C++ shim.
type yunet struct {
	p   C.LGYuNet
	err [shimErrLen]C.char
}

func newYuNet(model string, score, nms float32, topK int) (*yunet, error) {
	y := &yunet{}
	cs := C.CString(model)
	defer C.free(unsafe.Pointer(cs))
	y.p = C.lg_yunet_new(cs, C.float(score), C.float(nms), C.int(topK), &y.err[0], shimErrLen)
	if y.p == nil {
		return nil, errors.New(C.GoString(&y.err[0]))
	}
	return y, nil
}

// detect runs YuNet on a CV_8UC3 Mat and copies up to len(out)/15 result rows into out.
// It returns the number of faces found.
func (y *yunet) detect(bgr *gocv.Mat, out []float32) (int, error) {
	var outp *C.float
	if len(out) >= 15 {
		outp = (*C.float)(unsafe.Pointer(&out[0]))
	}
	// gocv.Mat.Ptr is a cv::Mat* typed in gocv's cgo namespace; pass it on as void*.
	n := C.lg_yunet_detect(y.p, unsafe.Pointer(bgr.Ptr()), outp, C.int(len(out)/15), &y.err[0], shimErrLen)
	if n < 0 {
		return 0, errors.New(C.GoString(&y.err[0]))
	}
	return int(n), nil
}

func (y *yunet) close() {
	if y.p != nil {
		C.lg_yunet_free(y.p)
		y.p = nil
	}
}

// SetOpenCVThreads sets how many threads OpenCV's own parallel loops (the
// dnn layers of YuNet and MiniFASNet, resizes) use in the whole process:
// 0 or 1 runs each call on its caller's thread only, a negative n restores
// OpenCV's default (one per CPU). OpenCVThreads reads it.
func SetOpenCVThreads(n int) { C.lg_cv_set_threads(C.int(n)) }

// OpenCVThreads is OpenCV's current number of threads (see SetOpenCVThreads).
func OpenCVThreads() int { return int(C.lg_cv_threads()) }
