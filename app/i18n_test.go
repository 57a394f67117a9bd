package app_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/views"
)

// pluralForms are the CLDR plural categories each language needs: a message
// with plural forms must have all of them.
var pluralForms = map[string][]string{
	"ar": {"zero", "one", "two", "few", "many", "other"},
	"fr": {"one", "many", "other"},
	"en": {"one", "other"},
}

var messageFileName = regexp.MustCompile(`^([a-z0-9_-]+)\.(ar|fr|en)\.json$`)

// loadAllMessages reads views/locales/*.json: language → key → value (a
// string, or a map of plural forms).
func loadAllMessages(t *testing.T) (map[string]map[string]any, map[string]map[string]bool) {
	t.Helper()
	files, err := fs.Glob(views.FS, "locales/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no message files: %v", err)
	}
	byLang := map[string]map[string]any{"ar": {}, "fr": {}, "en": {}}
	features := map[string]map[string]bool{} // feature → languages present
	for _, file := range files {
		m := messageFileName.FindStringSubmatch(filepath.Base(file))
		if m == nil {
			t.Errorf("%s: message files are named <feature>.<ar|fr|en>.json", file)
			continue
		}
		feature, lang := m[1], m[2]
		if features[feature] == nil {
			features[feature] = map[string]bool{}
		}
		features[feature][lang] = true
		raw, err := fs.ReadFile(views.FS, file)
		if err != nil {
			t.Fatal(err)
		}
		var messages map[string]any
		if err := json.Unmarshal(raw, &messages); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for key, value := range messages {
			if _, dup := byLang[lang][key]; dup {
				t.Errorf("%s: key %q is defined in another %s file too", file, key, lang)
			}
			byLang[lang][key] = value
		}
	}
	return byLang, features
}

// TestMessageFilesAgree fails when a key exists in one language and not in
// the others, when a feature lacks a language's file, or when a plural
// message lacks a CLDR form of its language.
func TestMessageFilesAgree(t *testing.T) {
	byLang, features := loadAllMessages(t)
	for feature, langs := range features {
		for _, lang := range domain.Languages {
			if !langs[lang] {
				t.Errorf("views/locales/%s.%s.json is missing", feature, lang)
			}
		}
	}
	all := map[string]bool{}
	for _, messages := range byLang {
		for key := range messages {
			all[key] = true
		}
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		for _, lang := range domain.Languages {
			value, ok := byLang[lang][key]
			if !ok {
				t.Errorf("message %q has no %s translation", key, lang)
				continue
			}
			switch v := value.(type) {
			case string:
				if strings.TrimSpace(v) == "" {
					t.Errorf("message %q is empty in %s", key, lang)
				}
			case map[string]any:
				for _, form := range pluralForms[lang] {
					if s, ok := v[form].(string); !ok || s == "" {
						t.Errorf("plural message %q lacks the %q form in %s", key, form, lang)
					}
				}
			default:
				t.Errorf("message %q in %s: want a string or plural forms, got %T", key, lang, value)
			}
		}
	}
}

// TestEveryProblemHasAMessage: each validator tag our entities use, each
// message key and field name that domain/ and repository/ can put in a
// ValidationError, has a message in every language.
func TestEveryProblemHasAMessage(t *testing.T) {
	byLang, _ := loadAllMessages(t)
	keys, fields := problemKeysInSource(t, "../domain", "../repository", ".")
	for _, tag := range domain.ValidationTags {
		keys["validation."+tag] = true
	}
	for _, entity := range []any{domain.Province{}, domain.Programme{}, domain.Course{}, domain.Session{},
		domain.Organisation{}, domain.User{}, domain.Trainee{}} {
		typ := reflect.TypeOf(entity)
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			if f.Tag.Get("validate") == "" {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields[name] = true
		}
	}
	if len(keys) < 20 || len(fields) < 20 {
		t.Fatalf("found only %d keys and %d fields: is the source scan broken?", len(keys), len(fields))
	}
	for field := range fields {
		keys["field."+field] = true
	}
	for key := range keys {
		for _, lang := range domain.Languages {
			if _, ok := byLang[lang][key]; !ok {
				t.Errorf("%s: no %s message (add it to views/locales/core.%s.json)", key, lang, lang)
			}
		}
	}
}

var problemKey = regexp.MustCompile(`^[a-z_]+\.[a-z_]+$`)

// problemKeysInSource finds, in the Go files of dirs, the message keys and
// field names given to Problems.Add, AddParam, domain.Invalid, the
// constraintProblems table ({"field", "key"}) and assigned to variables
// named key.
func problemKeysInSource(t *testing.T, dirs ...string) (keys, fields map[string]bool) {
	keys, fields = map[string]bool{}, map[string]bool{}
	str := func(e ast.Expr) (string, bool) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(lit.Value)
		return s, err == nil
	}
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			parsed, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(parsed, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					name := ""
					switch fn := n.Fun.(type) {
					case *ast.SelectorExpr:
						name = fn.Sel.Name
					case *ast.Ident:
						name = fn.Name
					}
					if (name == "Add" || name == "AddParam" || name == "Invalid") && len(n.Args) >= 2 {
						if f, ok := str(n.Args[0]); ok {
							fields[f] = true
						}
						if k, ok := str(n.Args[1]); ok && problemKey.MatchString(k) {
							keys[k] = true
						}
					}
				case *ast.CompositeLit:
					if len(n.Elts) == 2 {
						f, ok1 := str(n.Elts[0])
						k, ok2 := str(n.Elts[1])
						if ok1 && ok2 && problemKey.MatchString(k) {
							fields[f] = true
							keys[k] = true
						}
					}
				case *ast.AssignStmt:
					if id, ok := n.Lhs[0].(*ast.Ident); ok && id.Name == "key" && len(n.Rhs) == 1 {
						if k, ok := str(n.Rhs[0]); ok {
							keys[k] = true
						}
					}
				}
				return true
			})
		}
	}
	return keys, fields
}

func TestPageLanguageAndDirection(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	cases := []struct {
		cookie, acceptLanguage, want string
	}{
		{"", "", `<html lang="ar" dir="rtl">`},
		{"", "de-DE,de;q=0.9", `<html lang="ar" dir="rtl">`},
		{"", "fr-MA,fr;q=0.9,en;q=0.5", `<html lang="fr" dir="ltr">`},
		{"", "en-GB", `<html lang="en" dir="ltr">`},
		{"fr", "", `<html lang="fr" dir="ltr">`},
		{"en", "fr", `<html lang="en" dir="ltr">`},
		{"ar", "fr", `<html lang="ar" dir="rtl">`},
		{"xx", "", `<html lang="ar" dir="rtl">`},
	}
	for _, tc := range cases {
		cl := newClient(t, web)
		if tc.cookie != "" {
			cl.cookies["lang"] = tc.cookie
		}
		if tc.acceptLanguage != "" {
			cl.headers["Accept-Language"] = tc.acceptLanguage
		}
		resp := cl.get("/login")
		if !strings.Contains(resp.Body, tc.want) {
			t.Errorf("cookie %q, Accept-Language %q: want %s", tc.cookie, tc.acceptLanguage, tc.want)
		}
	}
}

// The language switch persists: in a cookie, and in the account of a
// signed-in user, who finds their language on any device.
func TestLanguageSwitchPersists(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	u := addUser(t, store, "trainer@example.ma", domain.RoleTrainer)

	anon := newClient(t, web)
	anon.get("/login")
	resp := anon.post("/language", url.Values{"lang": {"fr"}, "next": {"/login"}})
	expectStatus(t, "switch to French", resp, 303)
	if anon.cookies["lang"] != "fr" || resp.Header.Get("Location") != "/login" {
		t.Fatalf("cookie %q, Location %q", anon.cookies["lang"], resp.Header.Get("Location"))
	}
	if page := anon.get("/login"); !strings.Contains(page.Body, `lang="fr"`) || !strings.Contains(page.Body, "Se connecter") {
		t.Fatal("the login page is not in French after the switch")
	}

	cl := newClient(t, web)
	cl.login(u.Email, testPassword)
	expectStatus(t, "switch to English", cl.post("/language", url.Values{"lang": {"en"}, "next": {"/"}}), 303)
	if n := countRows(t, store, `SELECT count(*) FROM users WHERE id = $1 AND language = 'en'`, u.ID); n != 1 {
		t.Fatal("the choice is not saved in the account")
	}
	elsewhere := newClient(t, web) // another device, no cookie
	elsewhere.login(u.Email, testPassword)
	if page := elsewhere.get("/"); !strings.Contains(page.Body, `<html lang="en" dir="ltr">`) || !strings.Contains(page.Body, "Welcome") {
		t.Fatalf("the account's language is not used:\n%.500s", page.Body)
	}
}
