package app

import (
	"bytes"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// Compression (issue 17): a trainer's first visit on slow 3G moved 298 KB,
// 244 KB of it the Arabic font, uncompressed. Pages, JSON and the static
// files go out with brotli or gzip, as the browser asks (fasthttp's
// compressor, the one fiber's compress middleware runs; it skips bodies too
// small to gain and types that are not text, fonts or application/*, and
// adds Vary: Accept-Encoding).
var compressor = fasthttp.CompressHandlerBrotliLevel(func(*fasthttp.RequestCtx) {},
	fasthttp.CompressBrotliDefaultCompression, fasthttp.CompressDefaultCompression)

// compressResponses compresses what the handler answered whole, once it is
// written — unlike fiber's compress middleware, which decides before the
// handler runs, so that it can leave alone what is streamed: the exports
// (CSV, XLSX, PDF through c.SendStream, exports.go) keep flowing to the
// client as the rows are read, their first byte as soon as it is ready.
// Zipped answers (XLSX) are not compressed twice.
func (s *Server) compressResponses(c *fiber.Ctx) error {
	if err := c.Next(); err != nil {
		return err
	}
	resp := c.Response()
	if resp.IsBodyStream() || alreadyCompressed(resp.Header.ContentType()) {
		return nil
	}
	compressor(c.Context())
	return nil
}

// alreadyCompressed is a content type that holds compressed data.
func alreadyCompressed(ctype []byte) bool {
	for _, prefix := range []string{"application/zip", "application/vnd.openxmlformats", "application/gzip", "image/png", "image/jpeg"} {
		if bytes.HasPrefix(ctype, []byte(prefix)) {
			return true
		}
	}
	return false
}
