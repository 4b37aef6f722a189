package archtest_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// unpacedAllowed are the only places outside tests that may name
// gesture.ChallengeConfig.Unpaced: the gesture engine that defines it and
// the offline evaluation of recorded clips. The live service and its
// wiring must never turn the pacing off, or a recording of every gesture
// would pass again (issue 16).
var unpacedAllowed = []string{"internal/gesture/", "cmd/gesture-eval/"}

func TestOnlyOfflineEvaluationRunsUnpaced(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if path == root {
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		for _, a := range unpacedAllowed {
			if strings.HasPrefix(rel, a) {
				return nil
			}
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		n++
		ast.Inspect(f, func(x ast.Node) bool {
			if id, ok := x.(*ast.Ident); ok && id.Name == "Unpaced" {
				t.Errorf("%s: names Unpaced; only %v may (the live service is always paced)", fset.Position(id.Pos()), unpacedAllowed)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Fatalf("scanned %d Go files; the walk missed the repository", n)
	}
}
