package faceid

import (
	"fmt"
	"image"
)

// InputSize is the side of the aligned face crop the network reads.
const InputSize = 150

// Dims is the length of an embedding.
const Dims = 128

// The network is dlib's face-recognition ResNet (dlib_face_recognition_resnet_model_v1),
// as face-api ported it to TensorFlow layouts: activations are height×width×channels,
// filters kh×kw×in×out. Every convolution is followed by a per-channel affine "scale"
// layer (dlib's affine_ layer, its batch norm frozen at training's end); here the two are
// folded into the filter and one bias at load time.
//
//	conv 7×7/2 valid, 32  → maxpool 3×3/2 valid
//	3 residual blocks, 32
//	residual-down to 64, 3 residual blocks
//	residual-down to 128, 2 residual blocks
//	residual-down to 256, 2 residual blocks, residual-down 256
//	global mean → fully connected 256→128
//
// A residual block is conv3×3+relu, conv3×3, add the input, relu. A residual-down block's
// first conv is 3×3 stride 2 "valid"; its shortcut is a 2×2/2 average pool, zero-padded in
// channels when they double, and when the two branches' sizes differ the conv branch gets
// a zero row and column at its bottom and right.

type convLayer struct {
	k, stride, in, out int
	same               bool      // "same" padding (else "valid")
	w                  []float32 // k*k*in rows of out, the scale folded in
	b                  []float32 // out
}

type residualLayer struct {
	down         bool
	conv1, conv2 convLayer
}

// Model is the loaded network. Its weights are read-only after loading, so one Model
// serves any number of goroutines; each Embed call allocates its own buffers.
type Model struct {
	stem   convLayer
	blocks []residualLayer
	fc     []float32 // 256 rows of 128
}

var blockNames = []struct {
	name string
	down bool
}{
	{"conv32_1", false}, {"conv32_2", false}, {"conv32_3", false},
	{"conv64_down", true}, {"conv64_1", false}, {"conv64_2", false}, {"conv64_3", false},
	{"conv128_down", true}, {"conv128_1", false}, {"conv128_2", false},
	{"conv256_down", true}, {"conv256_1", false}, {"conv256_2", false},
	{"conv256_down_out", true},
}

// Load reads the model from its weights manifest and binary file (face-api's
// face_recognition_model-weights_manifest.json and face_recognition_model.bin).
func Load(manifestPath, binPath string) (*Model, error) {
	ws, err := readWeights(manifestPath, binPath)
	if err != nil {
		return nil, err
	}
	conv := func(prefix string, stride int, same bool) (convLayer, error) {
		f, ok := ws[prefix+"/conv/filters"]
		if !ok || len(f.shape) != 4 || f.shape[0] != f.shape[1] {
			return convLayer{}, fmt.Errorf("faceid: %s/conv/filters missing or not k×k×in×out", prefix)
		}
		c := convLayer{k: f.shape[0], stride: stride, in: f.shape[2], out: f.shape[3], same: same}
		bias, s, sb := ws[prefix+"/conv/bias"], ws[prefix+"/scale/weights"], ws[prefix+"/scale/biases"]
		for _, t := range []tensor{bias, s, sb} {
			if len(t.data) != c.out {
				return convLayer{}, fmt.Errorf("faceid: %s: bias or scale of %d values, want %d", prefix, len(t.data), c.out)
			}
		}
		// (x*w + bias)*s + sb = x*(w*s) + (bias*s + sb)
		c.w = make([]float32, len(f.data))
		for i, v := range f.data {
			c.w[i] = v * s.data[i%c.out]
		}
		c.b = make([]float32, c.out)
		for j := range c.b {
			c.b[j] = bias.data[j]*s.data[j] + sb.data[j]
		}
		return c, nil
	}
	m := &Model{}
	if m.stem, err = conv("conv32_down", 2, false); err != nil {
		return nil, err
	}
	for _, bn := range blockNames {
		stride, same := 1, true
		if bn.down {
			stride, same = 2, false
		}
		r := residualLayer{down: bn.down}
		if r.conv1, err = conv(bn.name+"/conv1", stride, same); err != nil {
			return nil, err
		}
		if r.conv2, err = conv(bn.name+"/conv2", 1, true); err != nil {
			return nil, err
		}
		if r.conv1.k != 3 || r.conv2.k != 3 || r.conv1.out != r.conv2.in || r.conv2.in != r.conv2.out {
			return nil, fmt.Errorf("faceid: %s: unexpected filter shapes", bn.name)
		}
		m.blocks = append(m.blocks, r)
	}
	fc, ok := ws["fc"]
	if !ok || len(fc.shape) != 2 || fc.shape[0] != 256 || fc.shape[1] != Dims {
		return nil, fmt.Errorf("faceid: fc missing or not 256×%d", Dims)
	}
	m.fc = fc.data
	return m, nil
}

// fmap is a feature map, height×width×channels.
type fmap struct {
	h, w, c int
	d       []float32
}

// Embedding is a face's 128-d descriptor. Two photos of one person are at a Euclidean
// distance under about 0.6 (dlib's convention).
type Embedding [Dims]float32

// Embed runs the network on an aligned InputSize×InputSize face crop (see Align). The
// crop is read as RGB; alpha is ignored.
func (m *Model) Embed(crop *image.RGBA) (Embedding, error) {
	if crop.Rect.Dx() != InputSize || crop.Rect.Dy() != InputSize {
		return Embedding{}, fmt.Errorf("faceid: crop is %dx%d, want %dx%d", crop.Rect.Dx(), crop.Rect.Dy(), InputSize, InputSize)
	}
	x := fmap{h: InputSize, w: InputSize, c: 3, d: make([]float32, InputSize*InputSize*3)}
	// face-api's input normalisation: subtract dlib's mean RGB, divide by 255.
	mean := [3]float32{122.782, 117.001, 104.298}
	for y := 0; y < InputSize; y++ {
		row := crop.Pix[y*crop.Stride:]
		for xx := 0; xx < InputSize; xx++ {
			for ch := 0; ch < 3; ch++ {
				x.d[(y*InputSize+xx)*3+ch] = (float32(row[4*xx+ch]) - mean[ch]) / 255
			}
		}
	}
	var s scratch
	x = s.conv(x, &m.stem, true)
	x = maxPool3x3s2(x)
	for i := range m.blocks {
		x = s.residual(x, &m.blocks[i])
	}
	var e Embedding
	hw := float32(x.h * x.w)
	for j := 0; j < Dims; j++ {
		var sum float32
		for ch := 0; ch < x.c; ch++ {
			var avg float32
			for p := 0; p < x.h*x.w; p++ {
				avg += x.d[p*x.c+ch]
			}
			sum += avg / hw * m.fc[ch*Dims+j]
		}
		e[j] = sum
	}
	return e, nil
}

// scratch holds the im2col buffer, reused across the layers of one Embed call.
type scratch struct{ cols []float32 }

func outSize(in, k, stride int, same bool) int {
	if same {
		return (in + stride - 1) / stride
	}
	return (in-k)/stride + 1
}

// conv computes one convolution with its folded scale, and relu when asked: im2col into
// a (outH*outW)×(k*k*in) matrix, then a matrix product with the k*k*in × out filter.
func (s *scratch) conv(x fmap, l *convLayer, relu bool) fmap {
	oh, ow := outSize(x.h, l.k, l.stride, l.same), outSize(x.w, l.k, l.stride, l.same)
	pad := 0
	if l.same {
		// TensorFlow's "same": total padding k-1 at stride 1, the extra (if odd) at the end.
		pad = (l.k - 1) / 2
	}
	kk := l.k * l.k * x.c
	n := oh * ow * kk
	if cap(s.cols) < n {
		s.cols = make([]float32, n)
	}
	cols := s.cols[:n]
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			dst := cols[(oy*ow+ox)*kk:]
			i := 0
			for ky := 0; ky < l.k; ky++ {
				iy := oy*l.stride + ky - pad
				for kx := 0; kx < l.k; kx++ {
					ix := ox*l.stride + kx - pad
					if iy < 0 || iy >= x.h || ix < 0 || ix >= x.w {
						clear(dst[i : i+x.c])
					} else {
						copy(dst[i:i+x.c], x.d[(iy*x.w+ix)*x.c:])
					}
					i += x.c
				}
			}
		}
	}
	out := fmap{h: oh, w: ow, c: l.out, d: make([]float32, oh*ow*l.out)}
	matmulBias(out.d, cols, l.w, l.b, oh*ow, kk, l.out)
	if relu {
		for i, v := range out.d {
			if v < 0 {
				out.d[i] = 0
			}
		}
	}
	return out
}

// matmulBias sets c (p×n) to a (p×k) times b (k×n) plus bias (n) on every row.
func matmulBias(c, a, b, bias []float32, p, k, n int) {
	for i := 0; i < p; i++ {
		crow := c[i*n : (i+1)*n]
		copy(crow, bias)
		arow := a[i*k : (i+1)*k]
		for kk, av := range arow {
			if av == 0 { // relu and padding leave many zeros
				continue
			}
			axpy(crow, b[kk*n:(kk+1)*n], av)
		}
	}
}

// axpy adds a*x to y; len(x) == len(y).
func axpy(y, x []float32, a float32) {
	x = x[:len(y)]
	i := 0
	for ; i+8 <= len(y); i += 8 {
		yy, xx := y[i:i+8:i+8], x[i:i+8:i+8]
		yy[0] += a * xx[0]
		yy[1] += a * xx[1]
		yy[2] += a * xx[2]
		yy[3] += a * xx[3]
		yy[4] += a * xx[4]
		yy[5] += a * xx[5]
		yy[6] += a * xx[6]
		yy[7] += a * xx[7]
	}
	for ; i < len(y); i++ {
		y[i] += a * x[i]
	}
}

func (s *scratch) residual(x fmap, r *residualLayer) fmap {
	out := s.conv(x, &r.conv1, true)
	out = s.conv(out, &r.conv2, false)
	short := x
	if r.down {
		short = avgPool2x2s2(x)
	}
	// The shortcut covers the top-left of out when out is larger (zero rows and columns
	// added to the conv branch at the bottom and right) and its channels are the first
	// ones (the rest zero-padded).
	if short.h != out.h || short.w != out.w {
		out = growTo(out, short.h, short.w)
	}
	for y := 0; y < short.h; y++ {
		for xx := 0; xx < short.w; xx++ {
			o := out.d[(y*out.w+xx)*out.c:]
			sh := short.d[(y*short.w+xx)*short.c:]
			for ch := 0; ch < short.c; ch++ {
				o[ch] += sh[ch]
			}
		}
	}
	for i, v := range out.d {
		if v < 0 {
			out.d[i] = 0
		}
	}
	return out
}

// growTo pads x with zeros at the bottom and right to h×w.
func growTo(x fmap, h, w int) fmap {
	g := fmap{h: h, w: w, c: x.c, d: make([]float32, h*w*x.c)}
	for y := 0; y < x.h; y++ {
		copy(g.d[y*w*x.c:], x.d[y*x.w*x.c:(y+1)*x.w*x.c])
	}
	return g
}

func maxPool3x3s2(x fmap) fmap {
	oh, ow := outSize(x.h, 3, 2, false), outSize(x.w, 3, 2, false)
	out := fmap{h: oh, w: ow, c: x.c, d: make([]float32, oh*ow*x.c)}
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			o := out.d[(oy*ow+ox)*x.c : (oy*ow+ox+1)*x.c]
			copy(o, x.d[(2*oy*x.w+2*ox)*x.c:])
			for ky := 0; ky < 3; ky++ {
				for kx := 0; kx < 3; kx++ {
					in := x.d[((2*oy+ky)*x.w+2*ox+kx)*x.c:]
					for ch := range o {
						o[ch] = max(o[ch], in[ch])
					}
				}
			}
		}
	}
	return out
}

func avgPool2x2s2(x fmap) fmap {
	oh, ow := x.h/2, x.w/2
	out := fmap{h: oh, w: ow, c: x.c, d: make([]float32, oh*ow*x.c)}
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			o := out.d[(oy*ow+ox)*x.c : (oy*ow+ox+1)*x.c]
			for ky := 0; ky < 2; ky++ {
				for kx := 0; kx < 2; kx++ {
					in := x.d[((2*oy+ky)*x.w+2*ox+kx)*x.c:]
					for ch := range o {
						o[ch] += in[ch]
					}
				}
			}
			for ch := range o {
				o[ch] *= 0.25
			}
		}
	}
	return out
}
