// Package landmarks predicts the 68 facial landmarks of the iBUG 300-W scheme with a
// cascade of regression-tree ensembles (Kazemi & Sullivan 2014), reading the model files
// that dlib's shape_predictor writes (shape_predictor_68_face_landmarks.dat).
//
// It is pure Go: the reader understands dlib's serialisation format and Predict evaluates
// the cascade on an image.Gray without allocating.
//
// Point indices (0-based) of the 68-point scheme: jaw 0–16, brows 17–26, nose bridge
// 27–30 (30 is the tip), nostrils 31–35, the subject's right eye 36–41 and left eye 42–47
// (right eye on the image's left for a frontal face), outer lips 48–59 (48 and 54 are
// the mouth corners), inner lips 60–67.
package landmarks

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
)

// DefaultModelPath is where Debian's libdlib-data package installs the 68-point model.
const DefaultModelPath = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"

// ErrFormat is wrapped by the errors of Load and Read for a file that is not a dlib
// shape_predictor (wrong file, corrupt or truncated).
var ErrFormat = errors.New("landmarks: not a dlib shape_predictor model")

// Point is a landmark position in image pixels.
type Point struct{ X, Y float32 }

// split is one internal node of a regression tree: go left when
// feature[i1]-feature[i2] > thresh.
type split struct {
	i1, i2 uint16
	thresh float32
}

// level is one stage of the cascade: its feature pixels (relative to anchor landmarks
// of the mean shape) and its trees.
type level struct {
	anchor []int32   // per feature pixel: landmark index
	delta  []float32 // per feature pixel: x, y offset from the anchor in mean-shape units
	splits []split   // nTrees * nSplits, tree by tree, nodes in breadth-first order
	leaves []float32 // nTrees * (nSplits+1) * shapeLen, leaf by leaf
	nTrees int
}

// Model is a loaded shape predictor. It is immutable and safe for concurrent use.
type Model struct {
	mean     []float32 // initial shape: x0, y0, x1, y1, ... in box-normalised units
	levels   []level
	nSplits  int // internal nodes per tree (2^depth - 1)
	nFeat    int // largest number of feature pixels of a level
	maxTrees int // largest number of trees of a level
}

// NumLandmarks returns the number of points the model predicts (68 for dlib's model).
func (m *Model) NumLandmarks() int { return len(m.mean) / 2 }

// MeanShape returns the model's mean shape in box-normalised units: (0,0) is the box's
// top-left pixel and (1,1) its bottom-right pixel.
func (m *Model) MeanShape() []Point {
	p := make([]Point, m.NumLandmarks())
	for i := range p {
		p[i] = Point{m.mean[2*i], m.mean[2*i+1]}
	}
	return p
}

// Load reads a model file, e.g. DefaultModelPath.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("landmarks: open model: %w", err)
	}
	defer f.Close()
	m, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return m, nil
}

// Limits that keep a corrupt file from asking for absurd allocations.
const (
	maxLandmarks = 1000
	maxLevels    = 100
	maxTrees     = 10000
	maxDepth     = 10
	maxFeatures  = 1 << 16
)

// Read reads a model in dlib's serialisation of shape_predictor (version 1):
//
//	int version (1)
//	matrix<float,0,1> initial_shape
//	vector<vector<regression_tree>> forests, tree = vector<split_feature>, vector<matrix<float,0,1>> leaves
//	                                         split_feature = ulong idx1, ulong idx2, float thresh
//	vector<vector<ulong>> anchor_idx
//	vector<vector<dlib::vector<float,2>>> deltas
func Read(r io.Reader) (*Model, error) {
	d := newDecoder(r)
	if n := d.fill(3); n >= 2 {
		switch head := string(d.buf[:min(n, 3)]); {
		case head == "BZh":
			return nil, fmt.Errorf("%w: the file is bzip2-compressed (as dlib.net serves it): decompress it with bunzip2 first", ErrFormat)
		case head[:2] == "\x1f\x8b":
			return nil, fmt.Errorf("%w: the file is gzip-compressed: decompress it first", ErrFormat)
		}
	}
	m, err := d.model()
	if err == nil && d.fill(1) > 0 {
		err = bad("unexpected data after the model")
	}
	if err == nil && d.err != io.EOF {
		err = d.err
	}
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: truncated after %d bytes: %v", ErrFormat, d.offset(), io.ErrUnexpectedEOF)
		}
		if errors.Is(err, ErrFormat) {
			return nil, fmt.Errorf("%w: at byte %d: %v", ErrFormat, d.offset(), errors.Unwrap(err))
		}
		return nil, fmt.Errorf("landmarks: read model: %w", err)
	}
	return m, nil
}

type formatError struct{ msg string }

func (e formatError) Error() string { return e.msg }
func (e formatError) Unwrap() error { return ErrFormat }

func bad(format string, args ...any) error {
	return fmt.Errorf("%w", formatError{fmt.Sprintf(format, args...)})
}

// decoder reads dlib's serialisation: integers as a control byte (low nibble: byte
// count 1–8, bit 7: negative) then little-endian magnitude bytes; floats as an int64
// mantissa and an int16 exponent (value = mantissa·2^exponent). It reads through its
// own buffer: the 68-point model is 100 MB of such numbers.
type decoder struct {
	r      io.Reader
	buf    []byte
	lo, hi int   // unread bytes are buf[lo:hi]
	base   int64 // input offset of buf[0]
	err    error // first error of r
}

func newDecoder(r io.Reader) *decoder {
	return &decoder{r: r, buf: make([]byte, 1<<16)}
}

// offset returns the number of bytes consumed.
func (d *decoder) offset() int64 { return d.base + int64(d.lo) }

// fill makes at least k unread bytes available unless the input ends first, and
// returns how many are available.
func (d *decoder) fill(k int) int {
	if d.hi-d.lo >= k {
		return d.hi - d.lo
	}
	n := copy(d.buf, d.buf[d.lo:d.hi])
	d.base += int64(d.lo)
	d.lo, d.hi = 0, n
	for d.hi < k && d.err == nil {
		m, err := d.r.Read(d.buf[d.hi:])
		d.hi += m
		if err != nil {
			d.err = err
		}
	}
	return d.hi - d.lo
}

// short is the error for input that ends inside a value.
func (d *decoder) short() error {
	if d.err == nil || d.err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return d.err
}

// int reads a signed integer.
func (d *decoder) int() (int64, error) {
	avail := d.hi - d.lo
	if avail < 9 {
		avail = d.fill(9)
		if avail == 0 {
			return 0, d.short()
		}
	}
	c := d.buf[d.lo]
	size := int(c & 0x0f)
	if c&0x70 != 0 || size == 0 || size > 8 {
		return 0, bad("bad integer control byte 0x%02x", c)
	}
	if avail < 1+size {
		d.lo += avail
		return 0, d.short()
	}
	var v uint64
	for i, b := range d.buf[d.lo+1 : d.lo+1+size] {
		v |= uint64(b) << (8 * i)
	}
	d.lo += 1 + size
	if v > math.MaxInt64 {
		return 0, bad("integer overflows int64")
	}
	if c&0x80 != 0 {
		return -int64(v), nil
	}
	return int64(v), nil
}

// uint reads a non-negative integer no larger than limit.
func (d *decoder) uint(what string, limit int64) (int, error) {
	v, err := d.int()
	if err != nil {
		return 0, err
	}
	if v < 0 || v > limit {
		return 0, bad("%s = %d, want 0..%d", what, v, limit)
	}
	return int(v), nil
}

func (d *decoder) float() (float32, error) {
	if d.fill(1) == 0 {
		return 0, d.short()
	}
	if d.buf[d.lo]&0x70 != 0 {
		return 0, bad("float in dlib's old text format (not supported)")
	}
	mant, err := d.int()
	if err != nil {
		return 0, err
	}
	exp, err := d.int()
	if err != nil {
		return 0, err
	}
	switch {
	case exp == 32000:
		return float32(math.Inf(1)), nil
	case exp == 32001:
		return float32(math.Inf(-1)), nil
	case exp == 32002:
		return float32(math.NaN()), nil
	case exp < math.MinInt16 || exp > math.MaxInt16:
		return 0, bad("float exponent %d out of range", exp)
	}
	return float32(math.Ldexp(float64(mant), int(exp))), nil
}

// column reads a matrix<float,0,1> of length want (or any length up to limit when want
// is negative) into dst's tail.
func (d *decoder) column(dst []float32, want, limit int) ([]float32, error) {
	nr, err := d.int()
	if err != nil {
		return dst, err
	}
	nc, err := d.int()
	if err != nil {
		return dst, err
	}
	// dlib writes -rows, -cols; older versions wrote them positive.
	if nr < 0 {
		nr = -nr
	}
	if nc < 0 {
		nc = -nc
	}
	if nc != 1 && nr != 0 {
		return dst, bad("matrix has %d columns, want 1", nc)
	}
	if want >= 0 && nr != int64(want) {
		return dst, bad("column of %d values, want %d", nr, want)
	}
	if nr > int64(limit) {
		return dst, bad("column of %d values, more than %d", nr, limit)
	}
	for i := int64(0); i < nr; i++ {
		v, err := d.float()
		if err != nil {
			return dst, err
		}
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return dst, bad("non-finite value in model")
		}
		dst = append(dst, v)
	}
	return dst, nil
}

func (d *decoder) model() (*Model, error) {
	ver, err := d.int()
	if err != nil {
		return nil, err
	}
	if ver != 1 {
		return nil, bad("version %d, want 1", ver)
	}
	m := &Model{}
	if m.mean, err = d.column(nil, -1, 2*maxLandmarks); err != nil {
		return nil, err
	}
	if len(m.mean) == 0 || len(m.mean)%2 != 0 {
		return nil, bad("initial shape of %d values", len(m.mean))
	}
	shapeLen := len(m.mean)

	nLevels, err := d.uint("cascade levels", maxLevels)
	if err != nil {
		return nil, err
	}
	if nLevels == 0 {
		return nil, bad("no cascade levels")
	}
	m.levels = make([]level, nLevels)
	m.nSplits = -1
	var leaves []float32 // one level's leaf values, reused
	for li := range m.levels {
		lv := &m.levels[li]
		if lv.nTrees, err = d.uint("trees", maxTrees); err != nil {
			return nil, err
		}
		m.maxTrees = max(m.maxTrees, lv.nTrees)
		for t := 0; t < lv.nTrees; t++ {
			ns, err := d.uint("splits", 1<<maxDepth-1)
			if err != nil {
				return nil, err
			}
			if m.nSplits < 0 {
				if ns&(ns+1) != 0 {
					return nil, bad("tree with %d splits is not complete", ns)
				}
				m.nSplits = ns
			} else if ns != m.nSplits {
				return nil, bad("trees of different depths (%d and %d splits)", m.nSplits, ns)
			}
			if lv.splits == nil {
				lv.splits = make([]split, 0, lv.nTrees*ns)
				leaves = slices.Grow(leaves[:0], lv.nTrees*(ns+1)*shapeLen)
			}
			for s := 0; s < ns; s++ {
				i1, err := d.uint("split feature", maxFeatures-1)
				if err != nil {
					return nil, err
				}
				i2, err := d.uint("split feature", maxFeatures-1)
				if err != nil {
					return nil, err
				}
				th, err := d.float()
				if err != nil {
					return nil, err
				}
				lv.splits = append(lv.splits, split{uint16(i1), uint16(i2), th})
			}
			nl, err := d.uint("leaves", 1<<maxDepth)
			if err != nil {
				return nil, err
			}
			if nl != ns+1 {
				return nil, bad("tree with %d splits has %d leaves", ns, nl)
			}
			for l := 0; l < nl; l++ {
				if leaves, err = d.column(leaves, shapeLen, shapeLen); err != nil {
					return nil, err
				}
			}
		}
		lv.leaves = slices.Clone(leaves)
	}

	n, err := d.uint("anchor levels", maxLevels)
	if err != nil {
		return nil, err
	}
	if n != nLevels {
		return nil, bad("%d anchor lists for %d levels", n, nLevels)
	}
	for li := range m.levels {
		lv := &m.levels[li]
		nf, err := d.uint("feature pixels", maxFeatures)
		if err != nil {
			return nil, err
		}
		lv.anchor = make([]int32, nf)
		for i := range lv.anchor {
			a, err := d.uint("anchor index", int64(shapeLen/2-1))
			if err != nil {
				return nil, err
			}
			lv.anchor[i] = int32(a)
		}
		m.nFeat = max(m.nFeat, nf)
	}
	if n, err = d.uint("delta levels", maxLevels); err != nil {
		return nil, err
	}
	if n != nLevels {
		return nil, bad("%d delta lists for %d levels", n, nLevels)
	}
	for li := range m.levels {
		lv := &m.levels[li]
		nf, err := d.uint("feature pixels", maxFeatures)
		if err != nil {
			return nil, err
		}
		if nf != len(lv.anchor) {
			return nil, bad("level %d: %d deltas for %d anchors", li, nf, len(lv.anchor))
		}
		lv.delta = make([]float32, 2*nf)
		for i := range lv.delta {
			if lv.delta[i], err = d.float(); err != nil {
				return nil, err
			}
		}
		for _, s := range lv.splits {
			if int(s.i1) >= nf || int(s.i2) >= nf {
				return nil, bad("level %d: split uses feature %d of %d", li, max(s.i1, s.i2), nf)
			}
		}
	}
	return m, nil
}
