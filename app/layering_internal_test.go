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
