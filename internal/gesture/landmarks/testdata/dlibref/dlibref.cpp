// dlibref runs dlib's own shape_predictor, the reference for livegate's pure-Go reader
// and evaluator (internal/gesture/landmarks). Used by the dlibref-tagged test in
// internal/perception; see README.md here.
//
// Usage: dlibref MODEL [-bench N] < requests
// Each request line is "IMAGE LEFT TOP RIGHT BOTTOM" (dlib's inclusive rectangle); the
// answer is one line of 2*num_parts integers: x0 y0 x1 y1 ... With -bench N, the first
// request is also timed over N predictions and "us/predict: T" goes to stderr.
#include <dlib/image_io.h>
#include <dlib/image_processing.h>

#include <chrono>
#include <iostream>
#include <map>
#include <string>

int main(int argc, char **argv) {
    if (argc != 2 && argc != 4) {
        std::cerr << "usage: dlibref MODEL [-bench N] < requests\n";
        return 2;
    }
    dlib::shape_predictor sp;
    dlib::deserialize(argv[1]) >> sp;
    long bench = argc == 4 ? std::stol(argv[3]) : 0;
    std::map<std::string, dlib::array2d<unsigned char>> images;
    std::string path;
    long l, t, r, b;
    while (std::cin >> path >> l >> t >> r >> b) {
        auto it = images.find(path);
        if (it == images.end()) {
            it = images.emplace(path, dlib::array2d<unsigned char>()).first;
            dlib::load_image(it->second, path);
        }
        const dlib::rectangle box(l, t, r, b);
        dlib::full_object_detection s = sp(it->second, box);
        if (bench > 0) {
            auto t0 = std::chrono::steady_clock::now();
            for (long i = 0; i < bench; i++) s = sp(it->second, box);
            auto t1 = std::chrono::steady_clock::now();
            std::cerr << "us/predict: " << std::chrono::duration<double, std::micro>(t1 - t0).count() / bench << "\n";
            bench = 0;
        }
        for (unsigned long i = 0; i < s.num_parts(); i++) {
            std::cout << (i ? " " : "") << s.part(i).x() << " " << s.part(i).y();
        }
        std::cout << std::endl;
    }
    return 0;
}
