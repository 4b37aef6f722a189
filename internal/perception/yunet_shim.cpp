#include "yunet_shim.h"

#include <cstring>
#include <exception>
#include <opencv2/core.hpp>
#include <opencv2/objdetect.hpp>

namespace {

struct yunet {
    cv::Ptr<cv::FaceDetectorYN> det;
    cv::Size size;
    cv::Mat faces; // reused between calls
};

void set_err(char *err, int errlen, const char *msg) {
    if (err == nullptr || errlen <= 0) return;
    std::strncpy(err, msg, errlen - 1);
    err[errlen - 1] = 0;
}

} // namespace

LGYuNet lg_yunet_new(const char *model, float score, float nms, int topk, char *err, int errlen) {
    try {
        yunet *d = new yunet();
        d->size = cv::Size(320, 320);
        d->det = cv::FaceDetectorYN::create(model, "", d->size, score, nms, topk);
        if (d->det.empty()) {
            delete d;
            set_err(err, errlen, "FaceDetectorYN::create returned nothing");
            return nullptr;
        }
        return d;
    } catch (const std::exception &e) {
        set_err(err, errlen, e.what());
    } catch (...) {
        set_err(err, errlen, "unknown C++ exception");
    }
    return nullptr;
}

void lg_yunet_free(LGYuNet p) { delete static_cast<yunet *>(p); }

int lg_yunet_detect(LGYuNet p, void *bgr, float *out, int maxFaces, char *err, int errlen) {
    yunet *d = static_cast<yunet *>(p);
    const cv::Mat &img = *static_cast<cv::Mat *>(bgr);
    try {
        if (img.size() != d->size) {
            d->size = img.size();
            d->det->setInputSize(d->size);
        }
        d->det->detect(img, d->faces);
        if (d->faces.empty()) return 0;
        if (d->faces.type() != CV_32F || d->faces.cols != 15) {
            set_err(err, errlen, "unexpected FaceDetectorYN output layout");
            return -1;
        }
        int n = d->faces.rows;
        for (int i = 0; i < n && i < maxFaces; i++) {
            std::memcpy(out + 15 * i, d->faces.ptr<float>(i), 15 * sizeof(float));
        }
        return n;
    } catch (const std::exception &e) {
        set_err(err, errlen, e.what());
    } catch (...) {
        set_err(err, errlen, "unknown C++ exception");
    }
    return -1;
}

void lg_cv_set_threads(int n) { cv::setNumThreads(n); }

int lg_cv_threads(void) { return cv::getNumThreads(); }
