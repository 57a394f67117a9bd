package app

import (
	"io/fs"
	"mime"
	"path"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// The embedded fonts' type, which Go's built-in table lacks (and a minimal
// container has no /etc/mime.types).
func init() {
	_ = mime.AddExtensionType(".ttf", "font/ttf")
	_ = mime.AddExtensionType(".webmanifest", "application/manifest+json")
}

// serviceWorker is the trainer's app's service worker (docs/OFFLINE.md):
// served from /static/ with the other assets, it controls the whole site.
const serviceWorker = "sw.js"

// staticFiles serves views/static/ under /static/: the CSS, icons and any
// script, all embedded in the binary (no CDN). fs.FS refuses "..", so a
// path cannot leave the folder.
func (s *Server) staticFiles(c *fiber.Ctx) error {
	name := c.Params("*")
	if !fs.ValidPath(name) || name == "." {
		return domain.ErrNotFound
	}
	if info, err := fs.Stat(s.static, name); err != nil || info.IsDir() {
		return domain.ErrNotFound
	}
	data, err := fs.ReadFile(s.static, name)
	if err != nil {
		return err
	}
	if ctype := mime.TypeByExtension(path.Ext(name)); ctype != "" {
		c.Set(fiber.HeaderContentType, ctype)
	}
	// Assets change only with a new release; an hour keeps pages fast
	// without serving a stale stylesheet for long after an upgrade. The
	// service worker is checked at every visit: a new release's is
	// installed at once (its caches are versioned, the data in IndexedDB is not).
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	if name == serviceWorker {
		c.Set("Service-Worker-Allowed", "/")
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	return c.Send(data)
}
