// C interface to OpenCV's cv::FaceDetectorYN (OpenCV >= 4.5.4), which gocv v0.32 lacks.
#ifndef LIVEGATE_YUNET_SHIM_H
#define LIVEGATE_YUNET_SHIM_H

#ifdef __cplusplus
extern "C" {
#endif

typedef void *LGYuNet;

// lg_yunet_new loads the ONNX model. On failure it returns NULL and writes a message to err.
LGYuNet lg_yunet_new(const char *model, float score, float nms, int topk, char *err, int errlen);
void lg_yunet_free(LGYuNet d);

// lg_yunet_detect runs the detector on a CV_8UC3 image (a cv::Mat*, as held by a gocv.Mat)
// and copies up to maxFaces rows of 15 floats (x, y, w, h, 5 keypoints x/y, score) into out.
// It returns the number of faces found (which may exceed maxFaces), or -1 on error.
int lg_yunet_detect(LGYuNet d, void *bgr, float *out, int maxFaces, char *err, int errlen);

// lg_cv_set_threads sets OpenCV's parallel_for threads for the whole process
// (cv::setNumThreads); lg_cv_threads reads it.
void lg_cv_set_threads(int n);
int lg_cv_threads(void);

#ifdef __cplusplus
}
#endif

#endif
