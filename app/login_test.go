package app_test

import (
	"net/url"
	"strings"
	"testing"
)

func TestLoginPageRendersInArabicByDefault(t *testing.T) {
	store := newStore(t)
	cl := newClient(t, newApp(t, store))
	resp := cl.get("/login")
	expectStatus(t, "GET /login", resp, 200)
	if !strings.Contains(resp.Body, `<html lang="ar" dir="rtl">`) {
		t.Fatalf("Arabic page expected:\n%s", resp.Body)
	}
	t.Log(resp.Header)
	_ = url.Values{}
}
