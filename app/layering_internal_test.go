package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The web layer knows no database driver and reads no error's text: what
// an error means comes from the domain's kinds (classify), which the
// repository maps driver errors to. A handler that matched on a message
// would break silently the day the message changes.
func TestAppKnowsNoDriverAndReadsNoErrorText(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); strings.HasPrefix(path, "github.com/lib/pq") {
				t.Errorf("%s imports %s: map driver errors in repository/errors.go", name, path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 0 {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Error" {
				t.Errorf("%s: %s calls Error(): test the error's kind (errors.Is, errors.As) instead",
					name, fset.Position(call.Pos()))
			}
			return true
		})
	}
}

// Routes are registered in one file, routes.go, each with its guard: a
// newcomer finds a route and who may use it in one place.
func TestRoutesAreInOneFile(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	register := map[string]bool{"Get": true, "Post": true, "Put": true, "Patch": true, "Delete": true,
		"Head": true, "All": true, "Group": true, "Add": true}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "routes.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !register[sel.Sel.Name] {
				return true
			}
			for _, arg := range call.Args {
				if lit, ok := arg.(*ast.BasicLit); ok && lit.Kind == token.STRING && strings.HasPrefix(lit.Value, `"/`) {
					t.Errorf("%s registers the route %s: register it in routes.go, with its guard", fset.Position(call.Pos()), lit.Value)
				}
			}
			return true
		})
	}
}
