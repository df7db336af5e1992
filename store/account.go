package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"

	"parley/net/proto"
)

// Account names one logged-in account: the server it lives on and its user ID.
type Account struct {
	Server string       `json:"server"`
	User   proto.UserID `json:"user"`
}

// AccountPath returns the database file of an account under root:
// root/accounts/<hash of server>-<user>.db. The server address is hashed
// (after trimming spaces and trailing slashes and lower-casing), so any
// address maps to a safe file name. In the browser it is the name of the
// account's IndexedDB database.
func AccountPath(root, server string, user proto.UserID) string {
	norm := strings.ToLower(strings.TrimRight(strings.TrimSpace(server), "/"))
	sum := sha256.Sum256([]byte(norm))
	return filepath.Join(root, "accounts", fmt.Sprintf("%s-%d.db", hex.EncodeToString(sum[:8]), user))
}
