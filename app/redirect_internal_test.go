package app

import (
	"strings"
	"testing"
)

// Every ?next= that a browser could follow to another host, or that only
// decodes to one, is replaced by "/"; paths on this site are kept as given.
func TestSafeRedirectPath(t *testing.T) {
	refused := []string{
		"",
		"evil.example",
		"https://evil.example/",
		"http:evil.example",
		"javascript:alert(1)",
		"//evil.example",
		"///evil.example",
		"/\t/evil.example/", // Chromium drops the tab: //evil.example/
		"/%09/evil.example/",
		"\t//evil.example/",
		"/\n/evil.example",
		"/\r\nSet-Cookie: a=b",
		"/%0d%0a//evil.example",
		"/\\evil.example",
		"/\\/evil.example",
		"\\/evil.example",
		"/%5Cevil.example",
		"/%5c%5cevil.example",
		"/%2F/evil.example",
		"/%2f%2fevil.example",
		"/%252F%252Fevil.example", // decodes to //evil.example on the second pass
		"/%25252F%25252Fevil.example",
		"/./evil.example",
		"/.//evil.example",
		"/..//evil.example",
		"/x/../..//evil.example",
		"/%2e%2e//evil.example",
		"/a%3F/%2e%2e//evil.example",
		"/ /evil.example",
		"/\x00",
		"/\x7f",
		"/\u0085evil",         // C1 control (next line)
		"/\u2028evil",         // line separator
		"/\u202eelpmaxe.live", // right-to-left override
		"/%E2%80%AEevil",
		"/\u200b/evil.example", // zero-width space
		"/\u00a0/evil.example", // no-break space
		"/%C2%A0/evil.example",
		"/%zz",
		"/%ff",
		"/\xff",
		"/" + strings.Repeat("a", maxRedirectLength),
	}
	for _, next := range refused {
		if got := safeRedirectPath(next); got != "/" {
			t.Errorf("safeRedirectPath(%q) = %q, want /", next, got)
		}
	}
	kept := []string{
		"/",
		"/users?page=2",
		"/courses/12#sessions",
		"/dashboard?programme=child-protection&year=2020&sex=female",
		"/courses?q=%D8%B9%D9%84%D9%8A",
		"/courses?q=علي",
		"/courses?q=a%20b+c",
		"/@evil.example", // a path of this site, whatever it looks like
		"/login?next=%2Fusers",
		"/courses/12/enrol",
	}
	for _, next := range kept {
		if got := safeRedirectPath(next); got != next {
			t.Errorf("safeRedirectPath(%q) = %q, want it kept", next, got)
		}
	}
}

func FuzzSafeRedirectPath(f *testing.F) {
	for _, seed := range []string{"/", "/users?page=2", "/%09/evil.example/", "//x", "/\\x", "/%2F%2Fx"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeRedirectPath(next)
		if got != "/" && got != next {
			t.Fatalf("safeRedirectPath(%q) = %q: neither kept nor replaced", next, got)
		}
		if got == "/" {
			return
		}
		// What a browser does before resolving: drop tabs and newlines, read
		// "\" as "/". The result must still be a path of this site.
		browser := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(got)
		if !strings.HasPrefix(browser, "/") || strings.HasPrefix(browser, "//") {
			t.Fatalf("safeRedirectPath kept %q, which a browser reads as %q", next, browser)
		}
	})
}
