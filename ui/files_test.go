package ui_test

import (
	"image"
	"testing"
	"time"

	"gioui.org/io/key"

	"parley/app/state"
	"parley/ui"
	"parley/ui/uitest"
)

func TestFileBarSendsTheTypedPathToTheOpenChatOrAUser(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Busy())
	if _, ok := d.Find("File path"); ok {
		t.Fatal("the file bar is open before the paper clip is clicked")
	}
	wantEvents(t, "the paper clip", step(t, d, "Attach a file"))
	onScreen(t, d, "Goes to 学习小组 Study Group")
	// The path field has the focus.
	d.Type("~/Documents/第三章 slides.pdf")
	d.Frame(d.State)
	d.Press(key.NameReturn, 0)
	d.Frame(d.State)
	wantEvents(t, "Enter", d.Take(), ui.SendFile{Path: "~/Documents/第三章 slides.pdf"})
	if got := fieldText(d, "File path"); got != "~/Documents/第三章 slides.pdf" {
		t.Errorf("before the app took the path the field holds %q", got)
	}
	accepted := d.State
	accepted.PathsSent++
	d.Frame(accepted)
	d.Frame(accepted)
	if got := fieldText(d, "File path"); got != "" {
		t.Errorf("the path field still holds %q once the file is on its way", got)
	}

	must(t, d.Fill("Send to user ID", "4822"))
	onScreen(t, d, "Goes to user 4822")
	must(t, d.Fill("File path", "/tmp/report.pdf"))
	wantEvents(t, "Send file", step(t, d, "Send file"), ui.SendFile{Path: "/tmp/report.pdf", Target: "4822"})
	if got := fieldText(d, "File path"); got != "/tmp/report.pdf" {
		t.Errorf("before the app took the path the field holds %q", got)
	}
	wantEvents(t, "Choose file…", step(t, d, "Choose file…"), ui.PickFile{Target: "4822"})
	wantEvents(t, "Close", step(t, d, "Close"))
	if _, ok := d.Find("File path"); ok {
		t.Error("the file bar stays open after Close")
	}
}

func TestWithoutAFilePickerTheFileBarAsksForAPath(t *testing.T) {
	d := newDriver(t, ui.Chinese, desktop)
	d.Frame(uitest.Busy())
	d.UI.PickerFailed()
	d.Frame(d.State)
	onScreen(t, d, "此系统没有文件选择器，请输入文件路径")
	d.Type("/srv/files/报告.pdf")
	d.Frame(d.State)
	if got := fieldText(d, "文件路径"); got != "/srv/files/报告.pdf" {
		t.Fatalf("typing went elsewhere: the path field holds %q", got)
	}
}

func TestAPathWithNoFileIsExplainedBesideTheFieldWhichKeepsIt(t *testing.T) {
	d := newDriver(t, ui.Chinese, desktop)
	d.Frame(uitest.Busy())
	d.UI.PickerFailed()
	d.Frame(d.State)
	d.Type("/home/li/报告.pdf")
	d.Frame(d.State)
	d.Press(key.NameReturn, 0)
	d.Frame(d.State)
	refused := d.State
	refused.PathError = &state.Notice{ID: 9, Kind: state.NoticeError, Code: state.CodeBadInput, Detail: state.InputNoSuchFile, Args: []string{"/home/li/报告.pdf"}}
	d.Frame(refused)
	onScreen(t, d, "/home/li/报告.pdf 处没有文件，请检查路径")
	if got := fieldText(d, "文件路径"); got != "/home/li/报告.pdf" {
		t.Fatalf("the path field holds %q, want the path kept", got)
	}
	// Editing the path takes the message away.
	d.Type("x")
	d.Frame(refused)
	d.Frame(refused)
	if _, ok := d.FindContaining("没有文件"); ok {
		t.Fatal("the error stays while the path is being fixed")
	}
}

// transfer returns the upload of Files() in state s.
func withUpload(s state.TransferState, mutate func(*state.Transfer)) state.State {
	st := uitest.Files()
	trs := append([]state.Transfer(nil), st.Transfers...)
	trs[1].State = s
	if mutate != nil {
		mutate(&trs[1])
	}
	st.Transfers = trs
	return st
}

func TestTransferRowsOfferWhatFitsTheirState(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := withUpload(state.TransferActive, nil)
	d.Frame(st)
	onScreen(t, d, "meeting-notes-2024-03-12.zip")
	onScreen(t, d, "734 MB")
	onScreen(t, d, "Sending · 41% · 24.6 MB/s · 18 s left")
	wantEvents(t, "Pause", step(t, d, "Pause"), ui.PauseTransfer{ID: "t-notes"})
	wantEvents(t, "Cancel transfer", step(t, d, "Cancel transfer"), ui.CancelTransfer{ID: "t-notes"})

	d.Frame(withUpload(state.TransferPaused, nil))
	onScreen(t, d, "Paused · 301 MB of 734 MB")
	wantEvents(t, "Resume", step(t, d, "Resume"), ui.ResumeTransfer{ID: "t-notes"})

	d.Frame(withUpload(state.TransferActive, func(tr *state.Transfer) { tr.Checking, tr.Done = true, 367_001_600 }))
	onScreen(t, d, "Checking · 50% · 18 s left")

	// A picked stream being copied into the app: no size yet, no Pause.
	d.Frame(withUpload(state.TransferActive, func(tr *state.Transfer) {
		tr.Checking, tr.Preparing, tr.Size, tr.Done, tr.Speed = true, true, 0, 3<<20, 0
	}))
	onScreen(t, d, "Preparing to send · 3.15 MB")
	if _, ok := d.Find("0 B"); ok {
		t.Error("a file of unknown size says 0 B")
	}
	if _, ok := d.Find("Pause"); ok {
		t.Error("a file still being copied offers Pause")
	}
	wantEvents(t, "Cancel transfer", step(t, d, "Cancel transfer"), ui.CancelTransfer{ID: "t-notes"})

	d.Frame(withUpload(state.TransferFailed, func(tr *state.Transfer) {
		tr.Error = &state.Notice{Kind: state.NoticeError, Code: state.CodeFileChanged}
	}))
	onScreen(t, d, "Failed — The file changed while it was being sent; nothing was shared")
	wantEvents(t, "Retry", step(t, d, "Retry"), ui.ResumeTransfer{ID: "t-notes"})
	wantEvents(t, "Remove from the list", step(t, d, "Remove from the list"), ui.DismissTransfer{ID: "t-notes"})

	// Done while the conversation was open: the row stays, to open the
	// file, until it is closed here (the record stays for the message).
	d.Frame(withUpload(state.TransferDone, nil))
	onScreen(t, d, "Sent")
	wantEvents(t, "Open file", step(t, d, "Open file"), ui.OpenFile{ID: "t-notes"})
	// The slides' message has a Show in folder button too; the row's is
	// the lowest on screen.
	clickLowest(t, d, "Show in folder")
	d.Frame(d.State)
	wantEvents(t, "the row's Show in folder", d.Take(), ui.ShowInFolder{ID: "t-notes"})
	wantEvents(t, "Remove from the list", step(t, d, "Remove from the list"))
	if _, ok := d.Find("meeting-notes-2024-03-12.zip"); ok {
		t.Error("the closed row is still there")
	}
}

// clickLowest clicks the lowest of the controls described as desc.
func clickLowest(t *testing.T, d *uitest.Driver, desc string) {
	t.Helper()
	var at image.Rectangle
	for _, n := range d.Nodes() {
		if n.Desc.Description == desc && n.Desc.Bounds.Min.Y > at.Min.Y {
			at = n.Desc.Bounds
		}
	}
	if at.Empty() {
		t.Fatalf("no %q on screen", desc)
	}
	d.ClickAt(at.Min.Add(at.Max).Div(2))
}

func TestTransfersFinishedBeforeAreNotListedAgain(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Files() // the slides were saved before: only the message shows them
	d.Frame(st)
	if n, ok := d.FindContaining("Saved to "); ok {
		t.Fatalf("an old download is listed: %q", n.Desc.Label)
	}
	// A download that starts and ends while the conversation is open is.
	st.Transfers = append(st.Transfers, state.Transfer{ID: "t-rec", Direction: state.Download, Conv: uitest.StudyGroup,
		Name: "reading-club-recording.ogg", Size: 48_213_000, Done: 48_213_000, ETA: -1, State: state.TransferDone,
		Path: "/home/lihua/Downloads/reading-club-recording.ogg", FileID: "f-rec"})
	d.Frame(st)
	onScreen(t, d, "Saved to /home/lihua/Downloads/reading-club-recording.ogg")
}

func TestFileMessagesOfferSaveThenOpen(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Files()
	d.Frame(st)
	onScreen(t, d, "reading-club-recording.ogg")
	onScreen(t, d, "48.2 MB")
	wantEvents(t, "Save", step(t, d, "Save"), ui.SaveFile{Conv: uitest.StudyGroup, Seq: 15})
	// 王芳's slides were saved: they open.
	wantEvents(t, "Open", step(t, d, "Open"), ui.OpenFile{ID: "t-slides"})

	// While the recording downloads, its message shows how far it is.
	st.Transfers = append(st.Transfers, state.Transfer{ID: "t-rec", Direction: state.Download, Conv: uitest.StudyGroup,
		Name: "reading-club-recording.ogg", Size: 48_213_000, Done: 12_053_250, Speed: 8_000_000, ETA: 4500 * time.Millisecond,
		State: state.TransferActive, FileID: "f-rec"})
	d.Frame(st)
	if _, ok := d.Find("Save"); ok {
		t.Error("Save is still offered while the file downloads")
	}
	if n, ok := d.FindContaining("Saving · 25%"); !ok {
		t.Errorf("no download progress on screen; have %q", d.Texts())
	} else if n.Desc.Label != "Saving · 25% · 8 MB/s · 5 s left" {
		t.Errorf("the download says %q", n.Desc.Label)
	}
}

func TestAFileMessagePreviewsInTheConversationList(t *testing.T) {
	d := newDriver(t, ui.Chinese, desktop)
	st := uitest.Files()
	c := st.Conversations[0]
	c.Last = &st.Open.Messages[len(st.Open.Messages)-1].Message
	st.Conversations = append([]state.Conversation{c}, st.Conversations[1:]...)
	d.Frame(st)
	onScreen(t, d, "Tom Baker: [文件] reading-club-recording.ogg")
}

func TestAFileSentElsewhereShowsWhileItMoves(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Files()
	d.Frame(st)
	// Sent to 王芳 by her user ID: it goes to her direct chat.
	up := state.Transfer{ID: "t-wang", Direction: state.Upload, Conv: 9001, Name: "photo.jpg", Size: 2_400_000,
		Done: 1_200_000, Speed: 1_000_000, ETA: 1200 * time.Millisecond, State: state.TransferActive}
	st.Transfers = append(st.Transfers, up)
	d.Frame(st)
	onScreen(t, d, "王芳 · Sending · 50% · 1 MB/s · 1 s left")
	up.State, up.Done = state.TransferDone, up.Size
	st.Transfers = append(st.Transfers[:len(st.Transfers)-1:len(st.Transfers)-1], up)
	d.Frame(st)
	onScreen(t, d, "王芳 · Sent")
}

// On a phone-sized window a saved file's card has no room for "Open" and
// "Show in folder" in words: they are icons with tooltips, and work.
func TestAFileCardOnANarrowWindowHasIconButtons(t *testing.T) {
	for _, c := range []struct {
		lang       ui.Lang
		open, show string
	}{{ui.English, "Open", "Show in folder"}, {ui.Chinese, "打开", "在文件夹中显示"}} {
		d := newDriver(t, c.lang, image.Pt(320, 480))
		st := uitest.Files()
		st.Notices = nil
		d.Frame(st)
		for _, s := range []string{c.open, c.show} {
			n, ok := d.Find(s)
			if !ok || n.Desc.Label != "" || n.Desc.Description != s {
				t.Fatalf("%v: %q is not an icon button: %+v; have %q", c.lang, s, n.Desc, d.Texts())
			}
		}
		wantEvents(t, c.show, step(t, d, c.show), ui.ShowInFolder{ID: "t-slides"})
		wantEvents(t, c.open, step(t, d, c.open), ui.OpenFile{ID: "t-slides"})
	}
	// A wide window has the words.
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Files())
	if n, ok := d.Find("Show in folder"); !ok || n.Desc.Label != "Show in folder" {
		t.Errorf("on a wide window Show in folder is %+v", n.Desc)
	}
}
