package transfer

import "parley/net/proto"

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

// Error codes of the file endpoints, besides the proto codes they share
// (unauthenticated, bad_token, bad_request, too_large, not_member,
// no_such_user, no_such_conversation, self, internal, unavailable).
const (
	CodeChecksumMismatch proto.Code = "checksum_mismatch" // 460: a PATCH body was corrupted; send it again
	CodeHashMismatch     proto.Code = "hash_mismatch"     // 422: the whole file's SHA-256 is not the declared one; the upload is deleted
	CodeOffsetMismatch   proto.Code = "offset_mismatch"   // 409: Upload-Offset is not the server's; continue from the server's
	CodeQuotaExceeded    proto.Code = "quota_exceeded"    // 507: the user's quota would be exceeded
	CodeNoSpace          proto.Code = "no_space"          // 507: the server's disk is full
	CodeNoSuchUpload     proto.Code = "no_such_upload"    // 404: unknown, expired, cancelled or someone else's
	CodeNoSuchFile       proto.Code = "no_such_file"      // 404
)

// CreateRequest is the JSON body of POST /v1/files/uploads. Exactly one of
// Conv and User is set; a user means the direct conversation with them.
type CreateRequest struct {
	Name     string       `json:"name"`   // shown to people; the server sanitises it
	Size     int64        `json:"size"`   // bytes
	SHA256   string       `json:"sha256"` // hex of the whole file; verified on completion
	Type     string       `json:"type,omitempty"`
	Conv     proto.ConvID `json:"conv,omitempty"`
	User     proto.UserID `json:"user,omitempty"`
	ClientID string       `json:"client_id,omitempty"` // idempotency key: a retried create returns the same upload
}

// UploadInfo answers a create (201, or 200 for a retried one) and the
// PATCH that completes an upload (200, with Message).
type UploadInfo struct {
	ID      string         `json:"id"`
	Conv    proto.ConvID   `json:"conv"`
	Name    string         `json:"name"` // as sanitised
	Size    int64          `json:"size"`
	Offset  int64          `json:"offset"`
	Expires int64          `json:"expires,omitempty"` // Unix ms: an unfinished upload not continued by then is deleted
	Message *proto.Message `json:"message,omitempty"` // the file message, once complete
}

// Limits answers GET /v1/files: what the caller may upload.
type Limits struct {
	MaxSize   int64 `json:"max_size"`   // bytes per file
	Quota     int64 `json:"quota"`      // bytes per user; 0: no quota
	Used      int64 `json:"used"`       // bytes counted against the quota
	ChunkSize int64 `json:"chunk_size"` // suggested PATCH size
}
