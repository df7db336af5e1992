package proto

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The file API (docs/protocol.md, "Files"): its paths, headers, codes and
// JSON bodies, shared by the server (server/files) and the client
// (net/transfer), and the rule for file names both apply.

// The file endpoints, on the same server as the WebSocket. Every request
// carries "Authorization: Bearer TOKEN" (the session token of login).
const (
	FilesPath   = "/v1/files"         // GET: limits; GET /v1/files/{id}: download
	UploadsPath = "/v1/files/uploads" // POST: create; /{id}: HEAD, PATCH, DELETE
)

// Headers of the upload protocol (after tus 1.0).
const (
	HeaderOffset   = "Upload-Offset"   // bytes the server holds; PATCH: where the body starts
	HeaderLength   = "Upload-Length"   // the file's size
	HeaderChecksum = "Upload-Checksum" // "ALGO BASE64" of one PATCH body, as a header or a trailer
	HeaderExpires  = "Upload-Expires"  // when an unfinished upload is deleted (HTTP date)

	// ContentTypeChunk is the media type of a PATCH body.
	ContentTypeChunk = "application/offset+octet-stream"
)

// Checksum algorithms for HeaderChecksum.
const (
	ChecksumCRC32C = "crc32c" // CRC-32 Castagnoli, big-endian, 4 bytes
	ChecksumSHA256 = "sha256"
)

// StatusChecksumMismatch answers a PATCH whose body does not match its
// checksum (tus's status); the server keeps nothing of that body.
const StatusChecksumMismatch = 460

// Error codes of the file endpoints, besides the codes they share with
// the WebSocket (unauthenticated, bad_token, bad_request, too_large,
// not_member, no_such_user, no_such_conversation, self, internal,
// unavailable).
const (
	CodeChecksumMismatch Code = "checksum_mismatch" // 460: a PATCH body was corrupted; send it again
	CodeHashMismatch     Code = "hash_mismatch"     // 422: the whole file's SHA-256 is not the declared one; the upload is deleted
	CodeOffsetMismatch   Code = "offset_mismatch"   // 409: Upload-Offset is not the server's; continue from the server's
	CodeQuotaExceeded    Code = "quota_exceeded"    // 507: the user's quota would be exceeded
	CodeNoSpace          Code = "no_space"          // 507: the server's disk is full
	CodeNoSuchUpload     Code = "no_such_upload"    // 404: unknown, expired, cancelled or someone else's
	CodeNoSuchFile       Code = "no_such_file"      // 404
)

// CreateRequest is the JSON body of POST /v1/files/uploads. Exactly one of
// Conv and User is set; a user means the direct conversation with them.
type CreateRequest struct {
	Name     string `json:"name"`   // shown to people; the server sanitises it
	Size     int64  `json:"size"`   // bytes
	SHA256   string `json:"sha256"` // hex of the whole file; verified on completion
	Type     string `json:"type,omitempty"`
	Conv     ConvID `json:"conv,omitempty"`
	User     UserID `json:"user,omitempty"`
	ClientID string `json:"client_id,omitempty"` // idempotency key: a retried create returns the same upload
	// Picture: a picture for set_profile (people.go), in no
	// conversation (Conv and User 0), at most MaxPictureBytes.
	Picture bool `json:"picture,omitempty"`
	// Text: a caption, the file message's text (limits as a message's).
	Text string `json:"text,omitempty"`
	// Voice: the upload is a voice message (Ogg Opus, media.go).
	Voice *Voice `json:"voice,omitempty"`
}

// UploadInfo answers a create (201, or 200 for a retried one) and the
// PATCH that completes an upload (200, with Message).
type UploadInfo struct {
	ID      string   `json:"id"`
	Conv    ConvID   `json:"conv"`
	Name    string   `json:"name"` // as sanitised
	Size    int64    `json:"size"`
	Offset  int64    `json:"offset"`
	Expires int64    `json:"expires,omitempty"` // Unix ms: an unfinished upload not continued by then is deleted
	Message *Message `json:"message,omitempty"` // the file message, once complete
	File    *File    `json:"file,omitempty"`    // a picture upload, once complete: File.ID is set_profile's picture
}

// Limits answers GET /v1/files: what the caller may upload.
type Limits struct {
	MaxSize   int64 `json:"max_size"`   // bytes per file
	Quota     int64 `json:"quota"`      // bytes per user; 0: no quota
	Used      int64 `json:"used"`       // bytes counted against the quota
	ChunkSize int64 `json:"chunk_size"` // suggested PATCH size
}

// MaxNameBytes bounds a sanitised file name (the limit of common file
// systems).
const MaxNameBytes = 255

// SafeName turns a file name from anyone (a client, a message) into one
// that is safe to show and to save as a single file in a folder: only the
// last path element survives ("../../etc/passwd" is "passwd",
// `C:\x\report.pdf` is "report.pdf"); control characters and bidirectional
// overrides are dropped; characters Windows refuses become "_"; leading and
// trailing dots and spaces go; device names such as "CON" get a "_" in
// front; the result has at most MaxNameBytes bytes and keeps its
// extension. It is never empty, ".", or "..": those become "file".
func SafeName(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), isBidiControl(r):
			return -1
		case strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		}
		return r
	}, name)
	name = strings.Trim(name, " .\u00a0")
	if name == "" {
		return "file"
	}
	if isDeviceName(name) {
		name = "_" + name
	}
	return TruncateName(name, MaxNameBytes)
}

func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') || r == '\u200e' || r == '\u200f' || r == '\u061c'
}

// isDeviceName reports names Windows reserves, with or without an
// extension ("nul", "COM1.txt").
func isDeviceName(name string) bool {
	stem, _, _ := strings.Cut(name, ".")
	stem = strings.ToUpper(strings.TrimRight(stem, " "))
	switch stem {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(stem) == 4 && (strings.HasPrefix(stem, "COM") || strings.HasPrefix(stem, "LPT")) {
		return stem[3] >= '0' && stem[3] <= '9'
	}
	return false
}

// TruncateName shortens name to at most n bytes on a rune boundary,
// keeping a short extension (as SafeName does past MaxNameBytes).
func TruncateName(name string, n int) string {
	if len(name) <= n {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > 32 || len(ext) == len(name) {
		ext = ""
	}
	stem := name[:len(name)-len(ext)]
	limit := n - len(ext)
	for limit > 0 && !utf8.RuneStart(stem[limit]) {
		limit--
	}
	return strings.TrimRight(stem[:limit], " .") + ext
}
