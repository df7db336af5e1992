package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"testing"

	"parley/net/proto"
)

// httpDo makes an authorised request to the server's file API and
// returns the status and body.
func httpDo(t testing.TB, s *server, token, method, path string, header http.Header, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), method, s.HTTPURL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// uploadPicture uploads data as a picture (no conversation) and returns
// its file ID.
func uploadPicture(t testing.TB, s *server, d *device, data []byte) string {
	t.Helper()
	info := upload(t, s, d, proto.CreateRequest{Name: "me.png", Picture: true}, data)
	if info.File == nil || info.Message != nil || info.File.ID == "" {
		t.Fatalf("a completed picture upload answered %+v", info)
	}
	return info.File.ID
}

// upload uploads data as req says (Size and SHA256 are filled in) in one
// PATCH and returns the completion's answer.
func upload(t testing.TB, s *server, d *device, req proto.CreateRequest, data []byte) proto.UploadInfo {
	t.Helper()
	sum := sha256.Sum256(data)
	req.Size, req.SHA256 = int64(len(data)), hex.EncodeToString(sum[:])
	create, _ := json.Marshal(req)
	st, b := httpDo(t, s, d.token, "POST", proto.UploadsPath, http.Header{"Content-Type": {"application/json"}}, create)
	if st != http.StatusCreated {
		t.Fatalf("create upload: %d %s", st, b)
	}
	var info proto.UploadInfo
	json.Unmarshal(b, &info)
	st, b = httpDo(t, s, d.token, "PATCH", proto.UploadsPath+"/"+info.ID, http.Header{
		"Content-Type": {"application/offset+octet-stream"}, proto.HeaderOffset: {"0"},
	}, data)
	if st != http.StatusOK {
		t.Fatalf("upload picture: %d %s", st, b)
	}
	info = proto.UploadInfo{}
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatalf("a completed upload answered %s", b)
	}
	return info
}

func pngOf(t testing.TB, w, h int, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// hugePNG is a small PNG file whose header claims w×h pixels.
func hugePNG(t testing.TB, w, h uint32) []byte {
	b := pngOf(t, 1, 1, color.White)
	// IHDR: 8-byte signature, length, "IHDR", width, height, …, CRC.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestAProfilePictureIsAThumbnailEveryoneLoggedInCanSee(t *testing.T) {
	s := start(t)
	li := login(t, s.URL, register(t, s.URL, "李华"))
	wang := login(t, s.URL, register(t, s.URL, "Wang"))
	tom := login(t, s.URL, register(t, s.URL, "Tom")) // shares nothing with Li
	g := group(t, "Study Group", li, wang)

	picUp := uploadPicture(t, s, li, pngOf(t, 600, 400, color.RGBA{200, 30, 30, 255}))
	u, err := li.SetProfile(testCtx(t), proto.SetProfileRequest{Picture: &picUp})
	if err != nil {
		t.Fatal(err)
	}
	thumb := u.Picture
	if thumb == "" || thumb == picUp {
		t.Fatalf("set_profile answered picture %q (upload %q)", thumb, picUp)
	}
	if p := wang.profilePush(t, li.ID); p.Picture != thumb {
		t.Fatalf("profile push: %+v", p)
	}
	ms, err := wang.Members(testCtx(t), g.ID)
	if err != nil || ms[0].Picture != thumb {
		t.Fatalf("members: %+v %v", ms, err)
	}
	for _, d := range []*device{li, wang, tom} {
		st, b := httpDo(t, s, d.token, "GET", proto.FilesPath+"/"+thumb, nil, nil)
		if st != http.StatusOK {
			t.Fatalf("%d downloads the picture: %d %s", d.ID, st, b)
		}
		img, format, err := image.Decode(bytes.NewReader(b))
		if err != nil || format != "jpeg" || img.Bounds().Dx() != proto.PictureThumbPixels || img.Bounds().Dy() != proto.PictureThumbPixels {
			t.Fatalf("the thumbnail: %v %s %v", err, format, img.Bounds())
		}
		r, _, _, _ := img.At(128, 128).RGBA()
		if r>>8 < 150 {
			t.Fatalf("the thumbnail is not the picture's red: %v", img.At(128, 128))
		}
	}
	if st, _ := httpDo(t, s, "", "GET", proto.FilesPath+"/"+thumb, nil, nil); st != http.StatusUnauthorized {
		t.Fatalf("the picture without a token: %d", st)
	}
	// The upload went once used.
	if st, _ := httpDo(t, s, li.token, "GET", proto.FilesPath+"/"+picUp, nil, nil); st != http.StatusNotFound {
		t.Fatalf("the used upload: %d, want 404", st)
	}

	// A file Li sent in a conversation may be his picture; it stays there.
	sent := upload(t, s, li, proto.CreateRequest{Name: "holiday.png", Conv: g.ID}, pngOf(t, 300, 300, color.RGBA{20, 20, 200, 255}))
	if sent.Message == nil || sent.Message.File == nil {
		t.Fatalf("a file sent to the group answered %+v", sent)
	}
	u, err = li.SetProfile(testCtx(t), proto.SetProfileRequest{Picture: &sent.Message.File.ID})
	if err != nil || u.Picture == "" || u.Picture == thumb || u.Picture == sent.Message.File.ID {
		t.Fatalf("picture from a sent file: %+v %v", u, err)
	}
	if st, _ := httpDo(t, s, wang.token, "GET", proto.FilesPath+"/"+sent.Message.File.ID, nil, nil); st != http.StatusOK {
		t.Fatalf("the group's file after it became a picture: %d", st)
	}
	if st, _ := httpDo(t, s, wang.token, "GET", proto.FilesPath+"/"+thumb, nil, nil); st != http.StatusNotFound {
		t.Fatalf("the replaced picture: %d, want 404", st)
	}
	thumb = u.Picture
	wang.profilePush(t, li.ID)

	// Clearing the picture.
	none := ""
	u, err = li.SetProfile(testCtx(t), proto.SetProfileRequest{Picture: &none})
	if err != nil || u.Picture != "" {
		t.Fatalf("clear: %+v %v", u, err)
	}
	if p := wang.profilePush(t, li.ID); p.Picture != "" {
		t.Fatalf("profile push after clearing: %+v", p)
	}
	if st, _ := httpDo(t, s, wang.token, "GET", proto.FilesPath+"/"+thumb, nil, nil); st != http.StatusNotFound {
		t.Fatalf("the cleared picture: %d, want 404", st)
	}
}

func TestBadPicturesAreRefusedAndChangeNothing(t *testing.T) {
	s := start(t)
	li := login(t, s.URL, register(t, s.URL, "李华"))
	wang := login(t, s.URL, register(t, s.URL, "Wang"))
	good := uploadPicture(t, s, li, pngOf(t, 64, 64, color.Black))
	before, err := li.SetProfile(testCtx(t), proto.SetProfileRequest{Picture: &good})
	if err != nil {
		t.Fatal(err)
	}

	text := uploadPicture(t, s, li, []byte("this is not a picture at all"))
	huge := uploadPicture(t, s, li, hugePNG(t, 6000, 6000))
	wangs := uploadPicture(t, s, wang, pngOf(t, 8, 8, color.White))
	for _, c := range []struct {
		id   string
		code proto.Code
	}{
		{text, proto.CodeNotAnImage},
		{huge, proto.CodeImageTooLarge},
		{wangs, proto.CodeNoSuchFile}, // someone else's
		{"not-a-file-id", proto.CodeNoSuchFile},
	} {
		_, err := li.SetProfile(testCtx(t), proto.SetProfileRequest{Picture: &c.id})
		wantCode(t, err, c.code)
	}
	after, err := li.UserProfile(testCtx(t), li.ID)
	if err != nil || after.Picture != before.Picture {
		t.Fatalf("picture after refusals: %q, want %q (%v)", after.Picture, before.Picture, err)
	}

	// Too many bytes is refused when the upload is created.
	create, _ := json.Marshal(proto.CreateRequest{Name: "big.png", Size: proto.MaxPictureBytes + 1, SHA256: hex.EncodeToString(make([]byte, 32)), Picture: true})
	st, b := httpDo(t, s, li.token, "POST", proto.UploadsPath, nil, create)
	var e proto.Error
	json.Unmarshal(b, &e)
	if st != http.StatusRequestEntityTooLarge || e.Code != proto.CodeImageTooLarge {
		t.Fatalf("a picture upload of %d bytes: %d %s", proto.MaxPictureBytes+1, st, b)
	}
	create, _ = json.Marshal(proto.CreateRequest{Name: "a.png", Size: 10, SHA256: hex.EncodeToString(make([]byte, 32)), Picture: true, User: wang.ID})
	if st, b := httpDo(t, s, li.token, "POST", proto.UploadsPath, nil, create); st != http.StatusBadRequest {
		t.Fatalf("a picture upload to a user: %d %s", st, b)
	}
	// Another user cannot fetch Li's picture upload, only the thumbnail.
	if st, _ := httpDo(t, s, wang.token, "GET", proto.FilesPath+"/"+text, nil, nil); st != http.StatusNotFound {
		t.Fatalf("someone else's picture upload: %d, want 404", st)
	}
}
