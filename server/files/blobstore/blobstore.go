// Package blobstore keeps the bytes of finished files under their SHA-256:
// in a folder on the server's disk (Disk, the default) or in a bucket of an
// S3-compatible object store (S3, files in cluster mode, where every node
// must reach every file). S3 also holds the bytes of unfinished uploads, as
// multipart uploads and small chunk objects (server/files, s3.go).
//
// The caller checks every name: a SHA-256 is 64 lower-case hex digits
// computed by the server, an upload or chunk ID 32 made by it. Nothing a
// client sends becomes a path or a key.
package blobstore

import (
	"context"
	"io"
)

// Store holds finished files' bytes, each under its SHA-256.
type Store interface {
	// Open opens blob sha for reading. An absent blob is an error that
	// wraps fs.ErrNotExist.
	Open(ctx context.Context, sha string) (Blob, error)
	// Exists reports whether blob sha is stored.
	Exists(ctx context.Context, sha string) (bool, error)
	// Put stores data, whose SHA-256 is sha, durably (a thumbnail).
	Put(ctx context.Context, sha string, data []byte) error
	// Remove deletes blob sha; an absent blob is not an error.
	Remove(ctx context.Context, sha string) error
}

// Blob is a stored blob being read: from anywhere (downloads with Range,
// the last page of a voice message) and from the start again (a picture's
// decoder).
type Blob interface {
	io.ReadSeekCloser
	io.ReaderAt
}
