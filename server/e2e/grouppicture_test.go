package e2e

import (
	"bytes"
	"image"
	"image/color"
	"net/http"
	"testing"

	"parley/net/client"
	"parley/net/proto"
)

// groupEvent returns the next group event of type typ pushed in conv.
func (d *device) groupEvent(t testing.TB, conv proto.ConvID, typ string) proto.Message {
	t.Helper()
	return *d.inbox.take(t, typ+" event", func(p client.Push) bool {
		return p.Message != nil && p.Message.Conv == conv && p.Message.Kind == proto.MsgGroupEvent &&
			p.Message.Event != nil && p.Message.Event.Type == typ
	}).Message
}

// summaryOf is conv's summary in d's conversation list.
func (d *device) summaryOf(t testing.TB, conv proto.ConvID) proto.Conversation {
	t.Helper()
	cs, err := d.Conversations(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.ID == conv {
			return c
		}
	}
	t.Fatalf("%d is not in %d", d.ID, conv)
	return proto.Conversation{}
}

func TestAGroupPictureIsSetShownReplacedAndRemoved(t *testing.T) {
	s := start(t)
	li := login(t, s.URL, register(t, s.URL, "李华"))
	wang := login(t, s.URL, register(t, s.URL, "Wang"))
	tom := login(t, s.URL, register(t, s.URL, "Tom"))
	g := group(t, "Study Group", li, wang)

	// A member is refused before any work, and nothing changes.
	wangs := uploadPicture(t, s, wang, pngOf(t, 32, 32, color.White))
	_, err := wang.SetGroup(testCtx(t), proto.SetGroupRequest{Group: g.ID, Picture: &wangs})
	wantCode(t, err, proto.CodeNotAdmin)
	none := ""
	_, err = wang.SetGroup(testCtx(t), proto.SetGroupRequest{Group: g.ID, Picture: &none})
	wantCode(t, err, proto.CodeNotAdmin)

	up := uploadPicture(t, s, li, pngOf(t, 600, 400, color.RGBA{20, 160, 40, 255}))
	info, err := li.SetGroup(testCtx(t), proto.SetGroupRequest{Group: g.ID, Picture: &up})
	if err != nil {
		t.Fatal(err)
	}
	thumb := info.Picture
	if thumb == "" || thumb == up {
		t.Fatalf("set_group answered picture %q (upload %q)", thumb, up)
	}
	ev := wang.groupEvent(t, g.ID, proto.EventPicture)
	if ev.Event.Picture != thumb || ev.Event.Actor.ID != li.ID {
		t.Fatalf("the picture event: %+v", ev.Event)
	}
	if got, err := wang.GroupInfo(testCtx(t), g.ID); err != nil || got.Picture != thumb {
		t.Fatalf("group info: %+v %v", got, err)
	}
	if c := wang.summaryOf(t, g.ID); c.Picture != thumb {
		t.Fatalf("the summary: %+v", c)
	}
	// Everyone logged in may download it (a link's join card), the upload went.
	st, b := httpDo(t, s, tom.token, "GET", proto.FilesPath+"/"+thumb, nil, nil)
	if st != http.StatusOK {
		t.Fatalf("the picture for a non-member: %d %s", st, b)
	}
	if img, _, err := image.Decode(bytes.NewReader(b)); err != nil || img.Bounds().Dx() != proto.PictureThumbPixels {
		t.Fatalf("the thumbnail: %v", err)
	}
	if st, _ := httpDo(t, s, li.token, "GET", proto.FilesPath+"/"+up, nil, nil); st != http.StatusNotFound {
		t.Fatalf("the used upload: %d, want 404", st)
	}
	// A newcomer's conversation push carries it.
	if _, err := tom.JoinGroup(testCtx(t), g.ID); err != nil {
		t.Fatal(err)
	}
	p := tom.inbox.take(t, "conversation push", func(p client.Push) bool { return p.Type == proto.TypeConversation })
	if c := decodeBody[proto.ConversationPush](t, p).Conversation; c.Picture != thumb {
		t.Fatalf("the conversation push: %+v", c)
	}

	// Bad pictures are refused and change nothing.
	for _, c := range []struct {
		id   string
		code proto.Code
	}{
		{uploadPicture(t, s, li, []byte("not a picture")), proto.CodeNotAnImage},
		{uploadPicture(t, s, li, hugePNG(t, 6000, 6000)), proto.CodeImageTooLarge},
		{wangs, proto.CodeNoSuchFile},
	} {
		_, err := li.SetGroup(testCtx(t), proto.SetGroupRequest{Group: g.ID, Picture: &c.id})
		wantCode(t, err, c.code)
	}
	if got, _ := li.GroupInfo(testCtx(t), g.ID); got.Picture != thumb {
		t.Fatalf("the picture after refusals: %q, want %q", got.Picture, thumb)
	}
	// A good picture with a bad setting beside it: refused as a whole, and
	// the thumbnail made for it goes again (no blob is left of it).
	up3 := uploadPicture(t, s, li, pngOf(t, 50, 50, color.RGBA{10, 20, 230, 255}))
	blobs := s.blobs(t)
	bogus := "bogus"
	_, err = li.SetGroup(testCtx(t), proto.SetGroupRequest{Group: g.ID, Picture: &up3, Policy: &bogus})
	wantCode(t, err, proto.CodeBadRequest)
	if n := s.blobs(t); n != blobs {
		t.Fatalf("a refused set_group left %d blobs, were %d: its thumbnail stayed", n, blobs)
	}
	if got, _ := li.GroupInfo(testCtx(t), g.ID); got.Picture != thumb {
		t.Fatalf("the picture after a refused change: %q, want %q", got.Picture, thumb)
	}

	// Wang, made an admin, replaces it: the old thumbnail goes. Li
	// deleting his account leaves the group's picture in place.
	if err := li.SetAdmin(testCtx(t), g.ID, wang.ID, true); err != nil {
		t.Fatal(err)
	}
	up2 := uploadPicture(t, s, wang, pngOf(t, 100, 100, color.RGBA{200, 20, 20, 255}))
	info, err = wang.SetGroup(testCtx(t), proto.SetGroupRequest{Group: g.ID, Picture: &up2})
	if err != nil || info.Picture == "" || info.Picture == thumb {
		t.Fatalf("replace: %+v %v", info, err)
	}
	if st, _ := httpDo(t, s, tom.token, "GET", proto.FilesPath+"/"+thumb, nil, nil); st != http.StatusNotFound {
		t.Fatalf("the replaced picture: %d, want 404", st)
	}
	thumb = info.Picture
	if err := li.SetAdmin(testCtx(t), g.ID, tom.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := wang.DeleteAccount(testCtx(t), wang.password); err != nil {
		t.Fatal(err)
	}
	if st, _ := httpDo(t, s, tom.token, "GET", proto.FilesPath+"/"+thumb, nil, nil); st != http.StatusOK {
		t.Fatalf("the picture after its setter deleted their account: %d", st)
	}

	// Removing it: an event with no picture, and the thumbnail goes.
	info, err = tom.SetGroup(testCtx(t), proto.SetGroupRequest{Group: g.ID, Picture: &none})
	if err != nil || info.Picture != "" {
		t.Fatalf("remove: %+v %v", info, err)
	}
	ev = proto.Message{}
	for ev.Event == nil || ev.Event.Actor.ID != tom.ID { // Li's and Wang's come first
		ev = li.groupEvent(t, g.ID, proto.EventPicture)
	}
	if ev.Event.Picture != "" {
		t.Fatalf("the removal event: %+v", ev.Event)
	}
	if c := li.summaryOf(t, g.ID); c.Picture != "" {
		t.Fatalf("the summary after removal: %+v", c)
	}
	if st, _ := httpDo(t, s, li.token, "GET", proto.FilesPath+"/"+thumb, nil, nil); st != http.StatusNotFound {
		t.Fatalf("the removed picture: %d, want 404", st)
	}
	// Removing it again changes nothing: no second event.
	before := li.lastSeq(t, g.ID)
	if _, err := tom.SetGroup(testCtx(t), proto.SetGroupRequest{Group: g.ID, Picture: &none}); err != nil {
		t.Fatal(err)
	}
	if after := li.lastSeq(t, g.ID); after != before {
		t.Fatalf("a second removal appended entries %d..%d", before+1, after)
	}
}
