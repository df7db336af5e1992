package transfer

import "parley/net/proto"

// The file API's wire types live in net/proto (files.go), shared with the
// server; these names keep this package's API as it was.

const (
	FilesPath   = proto.FilesPath
	UploadsPath = proto.UploadsPath

	HeaderOffset     = proto.HeaderOffset
	HeaderLength     = proto.HeaderLength
	HeaderChecksum   = proto.HeaderChecksum
	HeaderExpires    = proto.HeaderExpires
	ContentTypeChunk = proto.ContentTypeChunk

	ChecksumCRC32C = proto.ChecksumCRC32C
	ChecksumSHA256 = proto.ChecksumSHA256

	StatusChecksumMismatch = proto.StatusChecksumMismatch

	CodeChecksumMismatch = proto.CodeChecksumMismatch
	CodeHashMismatch     = proto.CodeHashMismatch
	CodeOffsetMismatch   = proto.CodeOffsetMismatch
	CodeQuotaExceeded    = proto.CodeQuotaExceeded
	CodeNoSpace          = proto.CodeNoSpace
	CodeNoSuchUpload     = proto.CodeNoSuchUpload
	CodeNoSuchFile       = proto.CodeNoSuchFile
)

type (
	CreateRequest = proto.CreateRequest
	UploadInfo    = proto.UploadInfo
	Limits        = proto.Limits
)
