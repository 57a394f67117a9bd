package app_test

import (
	"encoding/xml"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"testing"

	"takaffoul/views"
)

// svgShape is any element of an SVG with its colours.
type svgShape struct {
	XMLName xml.Name
	ID      string     `xml:"id,attr"`
	Fill    string     `xml:"fill,attr"`
	Stroke  string     `xml:"stroke,attr"`
	Shapes  []svgShape `xml:",any"`
}

// TestTheLogoIsVisible: the header's logo was a white square (its tile was
// currentColor, the header's white text colour, and its mark white). The
// logo now has colours of its own: its marks stand out from its tile
// (3:1 or more, WCAG's contrast for graphics), and so does the tile from
// the green header.
func TestTheLogoIsVisible(t *testing.T) {
	raw, err := fs.ReadFile(views.FS, "static/icons.svg")
	if err != nil {
		t.Fatal(err)
	}
	var sprite svgShape
	if err := xml.Unmarshal(raw, &sprite); err != nil {
		t.Fatal(err)
	}
	var logo *svgShape
	for i := range sprite.Shapes {
		if sprite.Shapes[i].ID == "logo" {
			logo = &sprite.Shapes[i]
		}
	}
	if logo == nil || len(logo.Shapes) < 2 {
		t.Fatal("icons.svg has no #logo symbol with a tile and a mark")
	}
	const header = "#0b5a4a" // --brand, the header's background
	tile := logo.Shapes[0]
	if c := contrast(t, tile.Fill, header); c < 3 {
		t.Errorf("the tile (%s) on the header (%s): contrast %.1f, want 3 or more", tile.Fill, header, c)
	}
	for _, mark := range logo.Shapes[1:] {
		for _, colour := range []string{mark.Fill, mark.Stroke} {
			if colour == "" || colour == "none" {
				continue
			}
			if c := contrast(t, colour, tile.Fill); c < 3 {
				t.Errorf("a %s of the logo (%s) on its tile (%s): contrast %.1f, want 3 or more", mark.XMLName.Local, colour, tile.Fill, c)
			}
		}
	}
}

// contrast is the WCAG contrast ratio of two "#rrggbb" colours; any other
// value (currentColor: whatever the text colour is) fails the test.
func contrast(t *testing.T, a, b string) float64 {
	t.Helper()
	la, lb := luminance(t, a), luminance(t, b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(t *testing.T, colour string) float64 {
	t.Helper()
	hex, ok := strings.CutPrefix(colour, "#")
	if !ok || len(hex) != 6 {
		t.Fatalf("logo colour %q: want a colour of its own (#rrggbb), not one inherited from the page", colour)
	}
	var l float64
	for i, weight := range []float64{0.2126, 0.7152, 0.0722} {
		v, err := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		if err != nil {
			t.Fatalf("logo colour %q: %v", colour, err)
		}
		c := float64(v) / 255
		if c <= 0.03928 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += weight * c
	}
	return l
}
