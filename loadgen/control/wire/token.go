package wire

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// NewToken returns a random 256-bit token in hex, for a coordinator that
// starts its own workers and hands them the token.
func NewToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("making a token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// TokenCheck compares bearer tokens in constant time. Both sides are
// hashed first, so that neither the comparison's time nor its early exit
// on a length mismatch tells an attacker anything about the token. The
// zero TokenCheck lets every request through.
type TokenCheck struct {
	enabled bool
	sum     [sha256.Size]byte
}

// NewTokenCheck checks for token; an empty token checks nothing.
func NewTokenCheck(token string) TokenCheck {
	if token == "" {
		return TokenCheck{}
	}
	return TokenCheck{enabled: true, sum: sha256.Sum256([]byte(token))}
}

// OK reports whether r carries the token as "Authorization: Bearer TOKEN".
func (t TokenCheck) OK(r *http.Request) bool {
	if !t.enabled {
		return true
	}
	got, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found {
		return false
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], t.sum[:]) == 1
}

// SetToken adds the bearer token to a request to the coordinator.
func SetToken(r *http.Request, token string) {
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
}
