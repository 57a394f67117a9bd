package domain

import (
	"bytes"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// Encodings a CSV file is read in, as ImportFile.Encoding names them (the
// preview says which: docs/IMPORTS.md). Excel on Windows saves "CSV" in the
// machine's code page (Windows-1256 for Arabic, Windows-1252 for French,
// which is Latin-1 for every letter a name holds) and "Unicode text" in
// UTF-16 with tabs.
const (
	EncodingUTF8        = "utf-8"
	EncodingUTF8BOM     = "utf-8-bom"
	EncodingUTF16LE     = "utf-16le"
	EncodingUTF16BE     = "utf-16be"
	EncodingWindows1256 = "windows-1256"
	EncodingWindows1252 = "windows-1252"
)

// decodeText turns a CSV file's bytes into UTF-8 and names the encoding it
// was read in; ok is false when the bytes are not text in any of them.
func decodeText(data []byte) (text []byte, name string, ok bool) {
	var dec *encoding.Decoder
	switch {
	case bytes.HasPrefix(data, utf8BOMBytes):
		return bytes.TrimPrefix(data, utf8BOMBytes), EncodingUTF8BOM, utf8.Valid(data)
	case bytes.HasPrefix(data, []byte("\xff\xfe")):
		name, dec = EncodingUTF16LE, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
	case bytes.HasPrefix(data, []byte("\xfe\xff")):
		name, dec = EncodingUTF16BE, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
	case utf8.Valid(data):
		return data, EncodingUTF8, true
	default:
		switch key, _ := guessEncoding(data); key {
		case "import.encoding_windows_1256":
			name, dec = EncodingWindows1256, charmap.Windows1256.NewDecoder()
		case "import.encoding_latin1":
			name, dec = EncodingWindows1252, charmap.Windows1252.NewDecoder()
		default:
			return nil, "", false
		}
	}
	text, err := dec.Bytes(data)
	if err != nil || !utf8.Valid(text) {
		return nil, name, false
	}
	return text, name, true
}
