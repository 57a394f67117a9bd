package repository

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The acting user travels one way: a store method that changes something
// takes it as its last parameter, `by *int64`, and audits the change as
// theirs in the same transaction (TestEveryChangeIsAuditedAsItsActorsInItsTransaction).
// The few that change nothing a user is accountable for say why here.
func TestEveryChangeTakesItsActorLast(t *testing.T) {
	// Verbs that change rows; a trainer's search is audited too.
	changes := regexp.MustCompile(`^(Create|Update|Set|Delete|Withdraw|Assign|Unassign|Save|Import|Revoke|Run|Apply|Correct|Record|Issue|Anonymise|Restore|Cancel|Close|Reopen|Mark|Resolve|CheckIn)|^Merge[A-Z]|^Unmerge$|^Enroll(New|$)|^SearchTraineesAsTrainer$`)
	noActor := map[string]string{
		"SetUserLanguage":     "the user's own preference, not audited",
		"SetUserCSVSeparator": "the user's own preference (their CSV files' separator), not audited",
		"CreateProvince":      "reference data, loaded by the seeds and the tests; no route creates one",
		"CreateFirstAdmin":    "the first account, from the setup page: its actor is the admin it creates",
		"SetSessionUser":      "bookkeeping of a login (whose session this is), audited as login.success",
		"Close":               "closes the store's pool, not a record",
		// The import wizard's memory (importdrafts.go): the user's own
		// working copy and preferences, keyed by their id; the import itself
		// is ImportTrainees, audited.
		"SaveImportDraft":         "the user's file kept for their preview, not a record",
		"DeleteImportDraft":       "forgets the user's kept file",
		"SaveImportColumnChoices": "the user's own preference, not audited",
		"ImportDraft":             "a read",
		"ImportColumnChoices":     "a read",
		"ImportJob":               "reads a job; marking one whose server died failed is bookkeeping, not anyone's change",
		"ImportJobFile":           "reads a job's file",
	}
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
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || !fn.Name.IsExported() || !changes.MatchString(fn.Name.Name) {
				continue
			}
			if recv, ok := fn.Recv.List[0].Type.(*ast.StarExpr); !ok || recv.X.(*ast.Ident).Name != "Store" {
				continue
			}
			if _, excused := noActor[fn.Name.Name]; excused {
				continue
			}
			params := fn.Type.Params.List
			if len(params) == 0 {
				t.Errorf("%s: Store.%s changes something but takes no acting user", fset.Position(fn.Pos()), fn.Name.Name)
				continue
			}
			last := params[len(params)-1]
			star, isPointer := last.Type.(*ast.StarExpr)
			typeName, isIdent := ast.Expr(nil), false
			if isPointer {
				typeName = star.X
				_, isIdent = typeName.(*ast.Ident)
			}
			if !isIdent || typeName.(*ast.Ident).Name != "int64" || last.Names[len(last.Names)-1].Name != "by" {
				t.Errorf("%s: Store.%s changes something: its last parameter must be the acting user, by *int64",
					fset.Position(fn.Pos()), fn.Name.Name)
			}
		}
	}
}
