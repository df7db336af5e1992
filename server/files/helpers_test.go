package files_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"parley/net/proto"
	"parley/server/node/nodetest"
)

// person is a logged-in user with a WebSocket that collects message
// person is a test user, with the files service's HTTP API at hand.
type person struct {
	nodetest.User
	srv *nodetest.Server
}

func login(t *testing.T, srv *nodetest.Server, name string) *person {
	t.Helper()
	return &person{User: *srv.NewUser(t, name), srv: srv}
}

// group makes a group of owner with the others as members.
func group(t *testing.T, owner *person, others ...*person) proto.ConvID {
	t.Helper()
	users := make([]*nodetest.User, len(others))
	for i, o := range others {
		users[i] = &o.User
	}
	return nodetest.Group(t, &owner.User, "files", users...)
}

// reply is an HTTP response read whole (test bodies are small).
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) code() proto.Code {
	var e proto.Error
	json.Unmarshal(r.body, &e)
	return e.Code
}

func (r reply) offset(t *testing.T) int64 {
	t.Helper()
	off, err := strconv.ParseInt(r.header.Get(proto.HeaderOffset), 10, 64)
	if err != nil {
		t.Fatalf("no %s in reply %d %s", proto.HeaderOffset, r.status, r.body)
	}
	return off
}

func (p *person) request(t *testing.T, method, path string, body io.Reader, header ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, p.srv.HTTPURL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if p.Token != "" {
		req.Header.Set("Authorization", "Bearer "+p.Token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

func (p *person) create(t *testing.T, cr proto.CreateRequest) (proto.UploadInfo, reply) {
	t.Helper()
	b, _ := json.Marshal(cr)
	r := p.request(t, http.MethodPost, proto.UploadsPath, bytes.NewReader(b))
	var info proto.UploadInfo
	if r.status == http.StatusCreated || r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &info); err != nil {
			t.Fatal(err)
		}
	}
	return info, r
}

func (p *person) patch(t *testing.T, id string, offset int64, chunk []byte, header ...string) reply {
	t.Helper()
	h := append([]string{proto.HeaderOffset, fmt.Sprint(offset), "Content-Type", proto.ContentTypeChunk,
		proto.HeaderChecksum, crcOf(chunk)}, header...)
	return p.request(t, http.MethodPatch, proto.UploadsPath+"/"+id, bytes.NewReader(chunk), h...)
}

func (p *person) head(t *testing.T, id string) reply {
	t.Helper()
	return p.request(t, http.MethodHead, proto.UploadsPath+"/"+id, nil)
}

func crcOf(b []byte) string {
	sum := crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))
	return proto.ChecksumCRC32C + " " + base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, sum))
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	r.Read(b)
	return b
}

// upload sends data to conv in chunks and returns the completion.
func (p *person) upload(t *testing.T, conv proto.ConvID, name string, data []byte, chunk int) proto.UploadInfo {
	t.Helper()
	info, r := p.create(t, proto.CreateRequest{Name: name, Size: int64(len(data)), SHA256: sha(data), Conv: conv})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	for off := 0; ; off += chunk {
		end := min(off+chunk, len(data))
		r := p.patch(t, info.ID, int64(off), data[off:end])
		if end == len(data) {
			if r.status != http.StatusOK {
				t.Fatalf("last patch: %d %s", r.status, r.body)
			}
			var done proto.UploadInfo
			if err := json.Unmarshal(r.body, &done); err != nil || done.Message == nil {
				t.Fatalf("completion %s: %v", r.body, err)
			}
			return done
		}
		if r.status != http.StatusNoContent || r.offset(t) != int64(end) {
			t.Fatalf("patch at %d: %d %s", off, r.status, r.body)
		}
	}
}

// nextFile waits for the next file message pushed to p.
func (p *person) nextFile(t *testing.T) proto.Message {
	t.Helper()
	return p.Message(t, 0, func(m proto.Message) bool { return m.Kind == proto.MsgFile })
}

// history returns a conversation's messages as the server stores them.
func (p *person) history(t *testing.T, conv proto.ConvID) []proto.Message {
	t.Helper()
	h, err := p.Conn.History(context.Background(), proto.HistoryRequest{Conv: conv, Limit: proto.MaxHistoryLimit})
	if err != nil {
		t.Fatal(err)
	}
	return h.Messages
}

func fileMessages(ms []proto.Message) []proto.Message {
	var out []proto.Message
	for _, m := range ms {
		if m.Kind == proto.MsgFile {
			out = append(out, m)
		}
	}
	return out
}

func hasPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
