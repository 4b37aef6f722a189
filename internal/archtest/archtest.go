// Package archtest guards the import rules of docs/architecture.md. It reads
// the module's package graph once with `go list` and checks each rule of a
// table against it, so that every rule the document states is enforced by
// one helper and a broken rule names the package and the import at fault.
package archtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path"
	"slices"
	"strings"
)

// Module is the import path of livegate's module.
const Module = "github.com/livegate/livegate"

// Package is one package of the module as `go list` sees it (test files
// excluded: tests may reach further than the code they test).
type Package struct {
	ImportPath string
	Imports    []string // direct imports
	Deps       []string // every package it depends on, transitively
	CgoFiles   []string
	Standard   bool
}

// Graph is the module's packages by import path.
type Graph map[string]*Package

// Load lists every package of the module in dir (any directory inside it).
func Load(dir string) (Graph, error) {
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps,CgoFiles,Standard", Module+"/...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("archtest: go list: %v: %s", err, stderr.Bytes())
	}
	g := Graph{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		p := new(Package)
		if err := dec.Decode(p); err != nil {
			return nil, fmt.Errorf("archtest: decode go list: %w", err)
		}
		g[p.ImportPath] = p
	}
	if len(g) == 0 {
		return nil, fmt.Errorf("archtest: go list found no package of %s", Module)
	}
	return g, nil
}

// Rule forbids the packages Pkgs match from depending, directly or not, on
// any package Forbid matches. Patterns are module-relative paths
// ("internal/web"), with a trailing "/..." for the package and everything
// under it, or external path prefixes ending in "/" ("gocv.io/"). The
// special pattern "non-standard" matches every package outside the
// standard library and the module's own.
type Rule struct {
	Pkgs   []string
	Forbid []string
	Why    string
}

// Violation is one forbidden dependency.
type Violation struct {
	Pkg, Dep string
	Rule     Rule
}

func (v Violation) String() string {
	return fmt.Sprintf("%s depends on %s: %s", v.Pkg, v.Dep, v.Rule.Why)
}

// Match reports whether the import path p matches pattern.
func Match(pattern, p string) bool {
	switch {
	case pattern == "non-standard":
		first, _, _ := strings.Cut(p, "/")
		return strings.Contains(first, ".") && !strings.HasPrefix(p, Module+"/") && p != Module
	case strings.HasSuffix(pattern, "/..."):
		base := Module + "/" + strings.TrimSuffix(pattern, "/...")
		return p == base || strings.HasPrefix(p, base+"/")
	case strings.HasSuffix(pattern, "/"):
		return strings.HasPrefix(p, pattern)
	default:
		return p == Module+"/"+pattern
	}
}

func matchAny(patterns []string, p string) bool {
	return slices.ContainsFunc(patterns, func(pat string) bool { return Match(pat, p) })
}

// Check returns every dependency of the graph that breaks a rule, and an
// error for a rule whose package patterns match no package (a rule that
// guards nothing has gone stale).
func (g Graph) Check(rules []Rule) ([]Violation, error) {
	var out []Violation
	for _, r := range rules {
		matched := false
		for _, p := range g.sorted() {
			if !matchAny(r.Pkgs, p.ImportPath) {
				continue
			}
			matched = true
			for _, d := range p.Deps {
				if matchAny(r.Forbid, d) {
					out = append(out, Violation{Pkg: p.ImportPath, Dep: d, Rule: r})
				}
			}
		}
		if !matched {
			return out, fmt.Errorf("archtest: rule %q matches no package (%v)", r.Why, r.Pkgs)
		}
	}
	return out, nil
}

// Cgo returns the module's packages that declare cgo (have cgo files).
func (g Graph) Cgo() []string {
	var out []string
	for _, p := range g.sorted() {
		if len(p.CgoFiles) > 0 {
			out = append(out, p.ImportPath)
		}
	}
	return out
}

// Importers returns the module's packages that import a package matching
// pattern directly.
func (g Graph) Importers(pattern string) []string {
	var out []string
	for _, p := range g.sorted() {
		if slices.ContainsFunc(p.Imports, func(i string) bool { return Match(pattern, i) }) {
			out = append(out, p.ImportPath)
		}
	}
	return out
}

func (g Graph) sorted() []*Package {
	ps := make([]*Package, 0, len(g))
	for _, p := range g {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b *Package) int { return strings.Compare(a.ImportPath, b.ImportPath) })
	return ps
}

// Rel is p relative to the module ("internal/web").
func Rel(p string) string {
	if r, ok := strings.CutPrefix(p, Module+"/"); ok {
		return r
	}
	return path.Clean(p)
}
