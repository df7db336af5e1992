// Command typecheck type-checks every package of the module for the
// platforms this machine cannot build for (Android, iOS, macOS, Windows
// with cgo, the browser), so that code behind their build tags cannot rot.
//
// It asks `go list -deps -json` which files each package has on the
// target (with CGO_ENABLED=1), parses them, and type-checks the whole
// dependency graph from source with go/types, cgo files included through
// FakeImportC: no C toolchain, SDK or export data is needed. References to
// C are not checked (their types are unknown); everything else is.
//
// It reports every error in the module's own packages, and the errors in
// third-party dependencies' function bodies that are not artefacts of
// FakeImportC (see fromC): a dependency whose API type-checks can still
// fail to build on one platform. It builds nothing and must not write
// anywhere.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Target is a platform to check, like android/arm64.
type Target struct {
	GOOS, GOARCH string
	// Skip names import path prefixes that are not meant for this
	// platform (the server in the browser).
	Skip []string
}

func (t Target) String() string { return t.GOOS + "/" + t.GOARCH }

// Targets are the platforms checked by default.
var Targets = []Target{
	{GOOS: "android", GOARCH: "arm64"},
	{GOOS: "ios", GOARCH: "arm64"},
	{GOOS: "darwin", GOARCH: "arm64"},
	{GOOS: "windows", GOARCH: "amd64"},
	// The server needs SQLite, which modernc.org/sqlite does not build for
	// wasm; the browser gets the app only.
	{GOOS: "js", GOARCH: "wasm", Skip: []string{"parley/server"}},
}

// listedPackage is the part of `go list -json` that checking needs.
type listedPackage struct {
	ImportPath string
	Dir        string
	Standard   bool
	GoFiles    []string
	CgoFiles   []string
	Imports    []string
	ImportMap  map[string]string
	Module     *struct {
		Path      string
		Main      bool
		GoVersion string
	}
	Error      *struct{ Err string }
	DepsErrors []*struct{ Err string }
}

func (p *listedPackage) own() bool { return p.Module != nil && p.Module.Main }

// bodies says whether p's function bodies are checked: our own packages
// and every third-party one. A dependency can fail to build for a
// platform where its API still type-checks (gioui.org/x v0.2.0's file
// picker used a field Gio v0.10 removed, only in its Android, iOS and
// macOS files). The standard library is trusted.
func (p *listedPackage) bodies() bool { return p.own() || !p.Standard }

// cNames matches, in the errors of one package, the names of types
// declared as C types: bare in their own package, qualified elsewhere.
type cNames struct {
	own   map[string]*regexp.Regexp // package path → its bare names
	other *regexp.Regexp            // pkg.Name of every such type; nil if none
}

func (c *checker) cNames() cNames {
	n := cNames{own: map[string]*regexp.Regexp{}}
	var qualified []string
	for path, r := range c.done {
		if len(r.cTypes) == 0 || r.pkg == nil {
			continue
		}
		n.own[path] = regexp.MustCompile(`\b(` + strings.Join(r.cTypes, "|") + `)\b`)
		for _, t := range r.cTypes {
			qualified = append(qualified, regexp.QuoteMeta(r.pkg.Name()+"."+t))
		}
	}
	if len(qualified) > 0 {
		n.other = regexp.MustCompile(`\b(` + strings.Join(qualified, "|") + `)\b`)
	}
	return n
}

// fromC says whether a type error in a dependency comes from FakeImportC
// rather than the code: C's names have no types, so everything computed
// from them is "invalid type", and a type declared as a C type (type
// Object C.jobject) cannot be compared with 0 or converted from uintptr,
// in its package and in those that use it. Our own packages get no such
// allowance.
func (n cNames) fromC(path, err string) bool {
	if strings.Contains(err, "invalid type") {
		return true
	}
	if re := n.own[path]; re != nil && re.MatchString(err) {
		return true
	}
	return n.other != nil && n.other.MatchString(err)
}

// Check type-checks the packages matched by patterns (run in dir) and
// their dependencies for t, and returns the errors found in the main
// module's packages. The error is for failures to run the check at all.
func Check(dir string, t Target, patterns ...string) ([]string, error) {
	pkgs, roots, err := list(dir, t, patterns)
	if err != nil {
		return nil, err
	}
	c := &checker{
		fset:  token.NewFileSet(),
		pkgs:  pkgs,
		sizes: types.SizesFor("gc", t.GOARCH),
		done:  map[string]*result{},
		sem:   make(chan struct{}, runtime.GOMAXPROCS(0)),
	}
	if c.sizes == nil {
		return nil, fmt.Errorf("%s: unknown architecture", t)
	}
	var problems []string
	for _, path := range roots {
		p := pkgs[path]
		if skipped(t, path) {
			continue
		}
		if p.Error != nil {
			problems = append(problems, fmt.Sprintf("%s: %s", path, p.Error.Err))
			continue
		}
		for _, e := range p.DepsErrors {
			problems = append(problems, fmt.Sprintf("%s: %s", path, e.Err))
		}
	}
	var wg sync.WaitGroup
	for _, path := range roots {
		if !skipped(t, path) && pkgs[path].Error == nil {
			wg.Go(func() { c.get(path) })
		}
	}
	wg.Wait()
	names := c.cNames()
	for path, r := range c.done {
		switch p := pkgs[path]; {
		case p.own():
			problems = append(problems, r.errs...)
		case p.bodies():
			for _, e := range r.errs {
				if !names.fromC(path, e) {
					problems = append(problems, fmt.Sprintf("dependency %s: %s", path, e))
				}
			}
		}
	}
	sort.Strings(problems)
	return problems, nil
}

func skipped(t Target, path string) bool {
	for _, s := range t.Skip {
		if path == s || strings.HasPrefix(path, s+"/") {
			return true
		}
	}
	return false
}

// list runs go list for t and returns every package by import path, and
// the import paths the patterns matched, in the main module.
func list(dir string, t Target, patterns []string) (map[string]*listedPackage, []string, error) {
	args := append([]string{"list", "-e", "-deps", "-json=ImportPath,Dir,Standard,GoFiles,CgoFiles,Imports,ImportMap,Module,Error,DepsErrors,DepOnly"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS="+t.GOOS, "GOARCH="+t.GOARCH, "CGO_ENABLED=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: go list: %w: %s", t, err, stderr.Bytes())
	}
	pkgs := map[string]*listedPackage{}
	var roots []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			listedPackage
			DepOnly bool
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, nil, fmt.Errorf("%s: read go list: %w", t, err)
		}
		lp := p.listedPackage
		pkgs[lp.ImportPath] = &lp
		if !p.DepOnly && lp.own() {
			roots = append(roots, lp.ImportPath)
		}
	}
	return pkgs, roots, nil
}

// checker type-checks packages from source, each once, dependencies
// first, up to GOMAXPROCS at a time.
type checker struct {
	fset  *token.FileSet
	pkgs  map[string]*listedPackage
	sizes types.Sizes
	sem   chan struct{}

	mu   sync.Mutex
	done map[string]*result
}

type result struct {
	ready chan struct{}
	pkg   *types.Package
	errs  []string
	// cTypes are the package's types declared as C types (type Object
	// C.jobject): FakeImportC gives them no usable underlying type.
	cTypes []string
}

// get returns the checked package for path, checking it (and what it
// imports) if no other goroutine has.
func (c *checker) get(path string) *result {
	c.mu.Lock()
	r, ok := c.done[path]
	if !ok {
		r = &result{ready: make(chan struct{})}
		c.done[path] = r
	}
	c.mu.Unlock()
	if ok {
		<-r.ready
		return r
	}
	defer close(r.ready)
	if path == "unsafe" {
		r.pkg = types.Unsafe
		return r
	}
	p := c.pkgs[path]
	if p == nil {
		r.errs = []string{fmt.Sprintf("%s: not listed by go list", path)}
		r.pkg = types.NewPackage(path, filepath.Base(path))
		return r
	}
	// Dependencies first, in parallel, before taking a slot.
	deps := map[string]*types.Package{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, imp := range p.Imports {
		if imp == "C" {
			continue
		}
		wg.Go(func() {
			d := c.get(imp)
			mu.Lock()
			deps[imp] = d.pkg
			mu.Unlock()
		})
	}
	wg.Wait()
	c.sem <- struct{}{}
	defer func() { <-c.sem }()
	r.pkg, r.errs, r.cTypes = c.check(p, deps)
	return r
}

// check parses and type-checks one package whose imports are checked.
func (c *checker) check(p *listedPackage, deps map[string]*types.Package) (*types.Package, []string, []string) {
	var errs []string
	var files []*ast.File
	for _, name := range append(append([]string(nil), p.GoFiles...), p.CgoFiles...) {
		f, err := parser.ParseFile(c.fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			errs = append(errs, err.Error())
		}
		if f != nil {
			sizeCgoArrays(f)
			files = append(files, f)
		}
	}
	conf := types.Config{
		Importer:    importFunc(func(path string) (*types.Package, error) { return c.resolve(p, path, deps) }),
		Sizes:       c.sizes,
		FakeImportC: true,
		Error:       func(err error) { errs = append(errs, err.Error()) },
	}
	if p.own() && p.Module.GoVersion != "" {
		conf.GoVersion = "go" + p.Module.GoVersion
	}
	if !p.bodies() {
		// Function bodies of these do not change their API.
		conf.IgnoreFuncBodies = true
	}
	pkg, _ := conf.Check(p.ImportPath, c.fset, files, nil)
	return pkg, errs, declaredAsC(files)
}

// declaredAsC returns the names of the types files declare as C types.
func declaredAsC(files []*ast.File) []string {
	var names []string
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, spec := range g.Specs {
				ts := spec.(*ast.TypeSpec)
				if sel, ok := ts.Type.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "C" {
						names = append(names, ts.Name.Name)
					}
				}
			}
		}
	}
	return names
}

// sizeCgoArrays gives arrays sized by a C type ([C.sizeof_T]byte, as in
// malgo's DeviceID) the length 1: FakeImportC knows no C sizes, and an
// array of unknown length would make every use of the type an error.
func sizeCgoArrays(f *ast.File) {
	ast.Inspect(f, func(n ast.Node) bool {
		if a, ok := n.(*ast.ArrayType); ok {
			if sel, ok := a.Len.(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "sizeof_") {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "C" {
					a.Len = &ast.BasicLit{ValuePos: sel.Pos(), Kind: token.INT, Value: "1"}
				}
			}
		}
		return true
	})
}

func (c *checker) resolve(p *listedPackage, path string, deps map[string]*types.Package) (*types.Package, error) {
	if path == "unsafe" {
		return types.Unsafe, nil
	}
	if mapped, ok := p.ImportMap[path]; ok {
		path = mapped
	}
	if d := deps[path]; d != nil {
		return d, nil
	}
	return nil, fmt.Errorf("%s imports %s, which go list did not give", p.ImportPath, path)
}

type importFunc func(path string) (*types.Package, error)

func (f importFunc) Import(path string) (*types.Package, error) { return f(path) }
