package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// TokenBytes is the entropy of a session token: 256 bits.
const TokenBytes = 32

// NewToken returns a fresh session token for the client and the hash the
// server stores. The token itself is never stored.
func NewToken() (token string, hash []byte, err error) {
	b := make([]byte, TokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("read token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token), nil
}

// HashToken returns the stored form of a token. A plain SHA-256 suffices:
// tokens are random, so there is nothing to guess.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
