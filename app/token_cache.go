package app

import (
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// The enrolment API's token cache. A script enrolling people sends the
// same token hundreds of times a minute; reading it from the database each
// time was one of an enrolment's three round trips (docs/BENCHMARKS.md).
// The cache remembers which user a token belonged to when the database last
// said so, and only the enrolment route reads it, for a coordinator or an
// admin: their scope is every course, so nothing is read on the way to the
// enrolment statement, which confirms the token itself (still live, its
// user still active and in that role) before it writes anything, and
// otherwise answers as for an unknown token (repository.ErrTokenNotConfirmed,
// 401). A revoked token is therefore refused at once, as without the cache;
// a user given another role is refused once, then read afresh.

// tokenCacheLife is how long a token's user is remembered: the look-up
// after it also notes the token's last use (at most once a minute).
const tokenCacheLife = time.Minute

// tokenCacheSize bounds the cache: past it, it starts again empty.
const tokenCacheSize = 1024

// tokenToConfirmKey is the c.Locals key of the *repository.TokenToConfirm
// of a request authenticated from the cache.
const tokenToConfirmKey = "token_to_confirm"

// tokenCache maps a token's hash to its user as last read.
type tokenCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]cachedToken
}

type cachedToken struct {
	user  domain.User
	until time.Time
}

func newTokenCache() *tokenCache {
	return &tokenCache{entries: map[[sha256.Size]byte]cachedToken{}}
}

// user is a copy of the user remembered for the token with this hash.
func (tc *tokenCache) user(hash [sha256.Size]byte, now time.Time) (*domain.User, bool) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	e, ok := tc.entries[hash]
	if !ok || now.After(e.until) {
		return nil, false
	}
	u := e.user
	return &u, true
}

// remember notes u as the user the database gave for the token's hash.
func (tc *tokenCache) remember(hash [sha256.Size]byte, u *domain.User, now time.Time) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if len(tc.entries) >= tokenCacheSize {
		clear(tc.entries)
	}
	tc.entries[hash] = cachedToken{user: *u, until: now.Add(tokenCacheLife)}
}

// forget drops the token's entry: the database no longer confirms it.
func (tc *tokenCache) forget(hash [sha256.Size]byte) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	delete(tc.entries, hash)
}

// bearerToken is the request's API token, if it sends one.
func bearerToken(c *fiber.Ctx) (string, bool) {
	token, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	return strings.TrimSpace(token), ok
}

// authenticateForEnrolment is authenticate for POST
// /api/v1/courses/{id}/enrollments: a coordinator's or admin's token in the
// cache is taken as its user, to be confirmed by the enrolment itself
// (apiEnroll). A correction on a closed course (a reason given) reads the
// course first, so it is authenticated by the database as any request.
func (s *Server) authenticateForEnrolment(c *fiber.Ctx) error {
	token, ok := bearerToken(c)
	if ok && c.FormValue(correctionField) == "" {
		hash := sha256.Sum256([]byte(token))
		if u, hit := s.tokens.user(hash, time.Now()); hit && coordinators.admits(u) {
			c.Locals(userKey, u)
			c.Locals(authByKey, authByToken)
			c.Locals(tokenToConfirmKey, &repository.TokenToConfirm{Hash: hash[:], Role: u.Role})
			return c.Next()
		}
	}
	return s.authenticate(c)
}

// tokenToConfirm is the cached token the request's store call must confirm
// (nil when the database authenticated the request).
func tokenToConfirm(c *fiber.Ctx) *repository.TokenToConfirm {
	t, _ := c.Locals(tokenToConfirmKey).(*repository.TokenToConfirm)
	return t
}

// confirmToken reads from the database, before a handler reads anything
// else for a request authenticated from the cache, whether the token is
// still its user's, as the guards took them to be: else 401, and the
// token is forgotten.
func (s *Server) confirmToken(c *fiber.Ctx) error {
	pending := tokenToConfirm(c)
	if pending == nil {
		return nil
	}
	token, _ := bearerToken(c)
	u, err := s.store.UserByAPIToken(c.UserContext(), token)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	if u == nil || u.ID != currentUser(c).ID || u.Role != pending.Role {
		return s.tokenRefused(c, repository.ErrTokenNotConfirmed)
	}
	c.Locals(tokenToConfirmKey, nil)
	return nil
}

// tokenRefused forgets the request's token when err says the database did
// not confirm it, and returns err.
func (s *Server) tokenRefused(c *fiber.Ctx, err error) error {
	if errors.Is(err, repository.ErrTokenNotConfirmed) {
		token, _ := bearerToken(c)
		s.tokens.forget(sha256.Sum256([]byte(token)))
	}
	return err
}
