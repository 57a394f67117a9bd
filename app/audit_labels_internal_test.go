package app

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// auditActionPatterns find the actions the code writes to the audit log:
// AuditEntry{Action: "…"}, audit(ctx, tx, by, "…", …) and the SQL that
// inserts entries itself (…, $n, 'x.y', 'entity', …).
var auditActionPatterns = []*regexp.Regexp{
	regexp.MustCompile(`Action:\s+"([a-z_]+\.[a-z_]+)"`),
	regexp.MustCompile(`audit\(ctx, \w+, \w+, "([a-z_]+\.[a-z_]+)"`),
	regexp.MustCompile(`\$\d+, '([a-z_]+\.[a-z_]+)', '`),
}

// Every action the code writes has a label in each language: the audit
// page falls back to the code, which a coordinator should never have to read.
func TestEveryAuditActionHasALabel(t *testing.T) {
	// Merges compose theirs from the entity (repository/merges.go).
	actions := map[string]bool{"trainee.merge": true, "organisation.merge": true,
		"trainee.unmerge": true, "organisation.unmerge": true}
	for _, dir := range []string{".", "../repository"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range auditActionPatterns {
				for _, m := range p.FindAllStringSubmatch(string(src), -1) {
					actions[m[1]] = true
				}
			}
		}
	}
	if len(actions) < 20 {
		t.Fatalf("found only %d audit actions in the code: the patterns no longer match it", len(actions))
	}
	for _, lang := range []string{"ar", "fr", "en"} {
		tr := testTranslator(t, lang)
		for action := range actions {
			if key := "audit.action." + action; tr.T(key) == key {
				t.Errorf("%s: no label for the audit action %q (views/locales/*.%s.json)", lang, action, lang)
			}
		}
	}
}
