package pad

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrNoScore is returned by FileScores for a medium the file does not score.
var ErrNoScore = errors.New("no score for this file")

// FileScores is a Scorer that reads precomputed scores: it lets the
// evaluation run on scores produced elsewhere (another model, a server's
// liveness_score) and makes the command testable without a model. Paths are
// compared absolute and cleaned; a relative path in the file is relative to
// the file's own folder.
type FileScores map[string]float64

var _ Scorer = FileScores(nil)

// Score returns the score of path, or ErrNoScore.
func (f FileScores) Score(_ context.Context, path string) (float64, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return 0, err
	}
	s, ok := f[abs]
	if !ok {
		return 0, fmt.Errorf("%s: %w", path, ErrNoScore)
	}
	return s, nil
}

// LoadScores reads a scores file: CSV (.csv; rows of path,score, an optional
// header row "path,score") or JSON (.json; an object {"path": score} or an
// array [{"path": …, "score": …}]).
func LoadScores(name string) (FileScores, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	base, err := filepath.Abs(filepath.Dir(name))
	if err != nil {
		return nil, err
	}
	var pairs map[string]float64
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		pairs, err = readCSV(f)
	case ".json":
		pairs, err = readJSON(f)
	default:
		return nil, fmt.Errorf("pad: scores file %s: want .csv or .json", name)
	}
	if err != nil {
		return nil, fmt.Errorf("pad: scores file %s: %w", name, err)
	}
	out := make(FileScores, len(pairs))
	for p, s := range pairs {
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, p)
		}
		out[filepath.Clean(p)] = s
	}
	return out, nil
}

func readCSV(r io.Reader) (map[string]float64, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 2
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	out := map[string]float64{}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		s, err := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if err != nil {
			if line == 1 && strings.EqualFold(strings.TrimSpace(rec[1]), "score") {
				continue // header
			}
			return nil, fmt.Errorf("line %d: score %q is not a number", line, rec[1])
		}
		if _, dup := out[rec[0]]; dup {
			return nil, fmt.Errorf("line %d: %s scored twice", line, rec[0])
		}
		out[rec[0]] = s
	}
}

func readJSON(r io.Reader) (map[string]float64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var obj map[string]float64
	if err := json.Unmarshal(b, &obj); err == nil {
		return obj, nil
	}
	var arr []struct {
		Path  string   `json:"path"`
		Score *float64 `json:"score"`
	}
	if err := json.Unmarshal(b, &arr); err != nil {
		return nil, errors.New(`want {"path": score, …} or [{"path": …, "score": …}, …]`)
	}
	out := make(map[string]float64, len(arr))
	for i, e := range arr {
		if e.Path == "" || e.Score == nil {
			return nil, fmt.Errorf("entry %d: want a path and a score", i)
		}
		if _, dup := out[e.Path]; dup {
			return nil, fmt.Errorf("entry %d: %s scored twice", i, e.Path)
		}
		out[e.Path] = *e.Score
	}
	return out, nil
}
