package app

import (
	"fmt"
	"html/template"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// qrQuietZone is the white margin around a printed code, in modules. The
// standard asks for 4; the sheet's cell padding adds to these 2, and every
// module spared makes the code's squares bigger in a 12 mm line.
const qrQuietZone = 2

// qrSVG draws content as a QR code in SVG, inline in the page: one path of
// black squares on a white square, scaled by CSS (no image requests, and
// crisp when printed). Error correction M survives a crease or a smudge on
// a badge. The markup is made of numbers only: safe as template.HTML.
func qrSVG(content, label string) (template.HTML, error) {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("QR code: %w", err)
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	size := len(bits) + 2*qrQuietZone
	var path strings.Builder
	for y, row := range bits {
		for x := 0; x < len(row); x++ {
			if !row[x] {
				continue
			}
			run := 1 // a run of black modules is one rectangle
			for x+run < len(row) && row[x+run] {
				run++
			}
			fmt.Fprintf(&path, "M%d %dh%dv1h-%dz", x+qrQuietZone, y+qrQuietZone, run, run)
			x += run - 1
		}
	}
	svg := fmt.Sprintf(`<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="%s">`+
		`<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		size, size, template.HTMLEscapeString(label), size, size, path.String())
	return template.HTML(svg), nil
}
