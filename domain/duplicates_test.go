package domain

import (
	"slices"
	"testing"
)

// Names that differ only by what SearchKey folds away are one name; an
// organisation's two names that fold alike count once.
func TestFoldedNames(t *testing.T) {
	for _, tt := range []struct {
		ar, fr *string
		want   []string
	}{
		{nil, ptrTo("Association Al Amal"), []string{"association al amal"}},
		{nil, ptrTo("  ASSOCIATION  al-Amal "), []string{"association al amal"}},
		{nil, ptrTo("Association Al Âmal"), []string{"association al amal"}},
		{ptrTo("جمعية الأمل"), nil, []string{"جمعيه الامل"}},
		{ptrTo("جمعيه الامل "), ptrTo("Association Al Amal"), []string{"جمعيه الامل", "association al amal"}},
		{ptrTo("Amal"), ptrTo("AMAL"), []string{"amal"}},
		{nil, ptrTo(" \u200b "), nil},
	} {
		o := Organisation{NameAr: tt.ar, NameFr: tt.fr}
		if got := o.FoldedNames(); !slices.Equal(got, tt.want) {
			t.Errorf("FoldedNames(%v, %v) = %q, want %q", deref(tt.ar), deref(tt.fr), got, tt.want)
		}
	}
}
