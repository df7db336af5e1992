package transfer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"

	"parley/net/proto"
)

// UploadPicture uploads a profile picture (docs/protocol.md, "Pictures"):
// a picture upload in no conversation, sent in one chunk (a picture has
// at most proto.MaxPictureBytes). It returns the file ID to give
// set_profile.
func (c *Client) UploadPicture(ctx context.Context, name, typ string, data []byte) (string, error) {
	if len(data) > proto.MaxPictureBytes {
		return "", &proto.Error{Code: proto.CodeImageTooLarge, Message: fmt.Sprintf("a picture has at most %d bytes", proto.MaxPictureBytes)}
	}
	sum := sha256.Sum256(data)
	info, err := c.Create(ctx, CreateRequest{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Type: typ, Picture: true, ClientID: newKey()})
	if err != nil {
		return "", err
	}
	if info.File != nil { // a retried create of a finished upload
		return info.File.ID, nil
	}
	req, err := c.newRequest(ctx, http.MethodPatch, UploadsPath+"/"+url.PathEscape(info.ID), bytes.NewReader(data[info.Offset:]))
	if err != nil {
		return "", err
	}
	req.Header.Set(HeaderChecksum, crc32cChecksum(crc32.Checksum(data[info.Offset:], castagnoli)))
	req.Header.Set("Content-Type", ContentTypeChunk)
	req.Header.Set(HeaderOffset, fmt.Sprint(info.Offset))
	resp, err := c.do(req, http.StatusOK)
	if err != nil {
		return "", err
	}
	var done UploadInfo
	if err := decodeJSON(resp, &done); err != nil {
		return "", err
	}
	if done.File == nil {
		return "", &NetError{Op: "PATCH picture", Err: errors.New("the completed picture upload has no file")}
	}
	return done.File.ID, nil
}

// Picture fetches a profile picture's thumbnail (at most max bytes).
func (c *Client) Picture(ctx context.Context, id string, max int64) ([]byte, error) {
	req, err := c.newRequest(ctx, http.MethodGet, FilesPath+"/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req, http.StatusOK)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, &NetError{Op: "GET picture", Err: err}
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("picture %s: larger than %d bytes", id, max)
	}
	return b, nil
}
