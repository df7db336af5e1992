package files_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The server shares the file API's wire types with the client through
// net/proto; net/transfer is the client's upload package and must not end
// up in the server, directly or through another package.
func TestNoServerPackageImportsTheClientsTransferPackage(t *testing.T) {
	const module, banned = "parley", "parley/net/transfer"
	root := filepath.Join("..", "..")
	// imports lists the module's packages that pkg's non-test files
	// import, on any platform (build tags are not applied).
	cache := map[string][]string{}
	imports := func(pkg string) []string {
		if deps, ok := cache[pkg]; ok {
			return deps
		}
		dir := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(pkg, module+"/")))
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		var deps []string
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, is := range af.Imports {
				p, _ := strconv.Unquote(is.Path.Value)
				if p == module || strings.HasPrefix(p, module+"/") {
					deps = append(deps, p)
				}
			}
		}
		cache[pkg] = deps
		return deps
	}
	checked := 0
	err := filepath.WalkDir(filepath.Join(root, "server"), func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if d.Name() == "testdata" {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		start := module + "/" + filepath.ToSlash(rel)
		// Depth-first through the module's packages, with the path taken.
		visited := map[string]bool{}
		var visit func(pkg string, via []string) bool
		visit = func(pkg string, via []string) bool {
			if pkg == banned {
				t.Errorf("%s imports %s: %s", start, banned, strings.Join(via, " → "))
				return true
			}
			if visited[pkg] {
				return false
			}
			visited[pkg] = true
			for _, dep := range imports(pkg) {
				if visit(dep, append(via[:len(via):len(via)], dep)) {
					return true
				}
			}
			return false
		}
		visit(start, []string{start})
		checked++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 5 || len(imports("parley/server/files")) == 0 {
		t.Fatalf("checked %d packages; the walk did not find the server's", checked)
	}
}
