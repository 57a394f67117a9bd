// Package views holds the page templates, the message files and the static
// assets (CSS, icons), embedded into the binary: nothing is fetched from a CDN.
//
//   - pages/…/*.html and layouts/*.html: templates, named by their path
//     without ".html" ("pages/login", "layouts/main");
//   - locales/<feature>.<lang>.json: go-i18n message files, one set per
//     feature so that teams add theirs without touching each other's;
//   - static/: served under /static/.
package views

import "embed"

// FS is every view file.
//
//go:embed layouts pages partials locales static
var FS embed.FS
