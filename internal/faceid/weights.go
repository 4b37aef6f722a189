package faceid

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
)

// The model ships as tfjs's "weights manifest" layout: a JSON list of
// tensors (name, shape, dtype, optional quantisation) and one binary file
// holding them back to back in manifest order. A quantised tensor stores
// one byte per value, value = byte*scale + min; an unquantised one stores
// little-endian float32.

type manifestGroup struct {
	Paths   []string         `json:"paths"`
	Weights []manifestWeight `json:"weights"`
}

type manifestWeight struct {
	Name         string `json:"name"`
	Shape        []int  `json:"shape"`
	Dtype        string `json:"dtype"`
	Quantization *struct {
		Dtype string  `json:"dtype"`
		Scale float64 `json:"scale"`
		Min   float64 `json:"min"`
	} `json:"quantization"`
}

type tensor struct {
	shape []int
	data  []float32
}

// readWeights reads a manifest and its single binary file into named
// float32 tensors.
func readWeights(manifestPath, binPath string) (map[string]tensor, error) {
	mb, err := os.ReadFile(manifestPath)
	if err != nil {
		return nil, fmt.Errorf("faceid: weights manifest: %w", err)
	}
	var groups []manifestGroup
	if err := json.Unmarshal(mb, &groups); err != nil {
		return nil, fmt.Errorf("faceid: weights manifest %s: %w", manifestPath, err)
	}
	if len(groups) != 1 {
		return nil, fmt.Errorf("faceid: weights manifest %s: %d groups, want 1", manifestPath, len(groups))
	}
	bin, err := os.ReadFile(binPath)
	if err != nil {
		return nil, fmt.Errorf("faceid: weights: %w", err)
	}
	out := make(map[string]tensor, len(groups[0].Weights))
	off := 0
	for _, w := range groups[0].Weights {
		if w.Dtype != "float32" {
			return nil, fmt.Errorf("faceid: weight %s: dtype %q, want float32", w.Name, w.Dtype)
		}
		n := 1
		for _, d := range w.Shape {
			if d <= 0 {
				return nil, fmt.Errorf("faceid: weight %s: shape %v", w.Name, w.Shape)
			}
			n *= d
		}
		data := make([]float32, n)
		switch {
		case w.Quantization == nil:
			if off+4*n > len(bin) {
				return nil, fmt.Errorf("faceid: weights file %s ends inside %s", binPath, w.Name)
			}
			for i := range data {
				data[i] = math.Float32frombits(binary.LittleEndian.Uint32(bin[off+4*i:]))
			}
			off += 4 * n
		case w.Quantization.Dtype == "uint8":
			if off+n > len(bin) {
				return nil, fmt.Errorf("faceid: weights file %s ends inside %s", binPath, w.Name)
			}
			q := w.Quantization
			for i := range data {
				data[i] = float32(float64(bin[off+i])*q.Scale + q.Min)
			}
			off += n
		default:
			return nil, fmt.Errorf("faceid: weight %s: quantisation %q not supported", w.Name, w.Quantization.Dtype)
		}
		out[w.Name] = tensor{shape: w.Shape, data: data}
	}
	if off != len(bin) {
		return nil, fmt.Errorf("faceid: weights file %s has %d bytes, manifest describes %d", binPath, len(bin), off)
	}
	return out, nil
}
