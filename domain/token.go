package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// APITokenPrefix starts every API token, so that a leaked one is easy to
// recognise (in a log, a repository) and to revoke.
const APITokenPrefix = "tkf_"

// apiTokenBytes of randomness: 256 bits, beyond any guessing.
const apiTokenBytes = 32

// NewAPIToken makes a random API token. Only its hash is ever stored; the
// plain token is shown once to whoever created it. The prefix (8 characters
// after "tkf_") names the token in listings without revealing it.
func NewAPIToken() (plain, prefix string, hash []byte, err error) {
	buf := make([]byte, apiTokenBytes)
	if _, err := rand.Read(buf); err != nil {
		return "", "", nil, err
	}
	body := base64.RawURLEncoding.EncodeToString(buf)
	plain = APITokenPrefix + body
	return plain, body[:8], HashSecret(plain), nil
}

// LooksLikeAPIToken reports whether s has the shape of one of our tokens,
// so that garbage is refused without a database query.
func LooksLikeAPIToken(s string) bool {
	body, ok := strings.CutPrefix(s, APITokenPrefix)
	return ok && len(body) == base64.RawURLEncoding.EncodedLen(apiTokenBytes)
}

// HashSecret is the SHA-256 of a high-entropy secret (an API token, a
// session id). Unlike a password it needs no slow hash: it cannot be guessed.
func HashSecret(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}
