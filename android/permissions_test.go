package android

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"parley/media/audio"
)

// prompt is a system dialog the fake Android shows.
type prompt struct {
	view   uintptr
	perm   permission
	answer func(granted bool)
}

// fakeAndroid stands in for PermissionRequester.java: it shows each
// request as a prompt for the test to answer, and notices two dialogs at
// once, which Android would not show.
type fakeAndroid struct {
	prompts  chan prompt
	fail     error // returned by ask, when set
	showing  atomic.Int32
	overlaps atomic.Int32
}

func newFake() *fakeAndroid { return &fakeAndroid{prompts: make(chan prompt, 4)} }

func (f *fakeAndroid) ask(view uintptr, p permission, answer func(bool)) error {
	if f.fail != nil {
		return f.fail
	}
	if f.showing.Add(1) > 1 {
		f.overlaps.Add(1)
	}
	f.prompts <- prompt{view: view, perm: p, answer: func(granted bool) {
		f.showing.Add(-1)
		answer(granted)
	}}
	return nil
}

func (f *fakeAndroid) next(t *testing.T) prompt {
	t.Helper()
	select {
	case p := <-f.prompts:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no permission dialog was shown")
		return prompt{}
	}
}

// request runs f in the background and returns its result channel.
func request(ctx context.Context, f func(context.Context) error) <-chan error {
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	return done
}

func result(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the request did not return")
		return nil
	}
}

func TestMicrophoneIsAskedOverTheWindowOnceItExists(t *testing.T) {
	fake := newFake()
	p := newPermissions(fake.ask)
	done := request(t.Context(), p.RequestMicrophone)

	p.setView(7) // the window's view arrives after the request
	got := fake.next(t)
	if got.view != 7 || got.perm != microphone {
		t.Fatalf("dialog for %v over view %d, want RECORD_AUDIO over view 7", got.perm, got.view)
	}
	got.answer(true)
	if err := result(t, done); err != nil {
		t.Fatalf("allowed microphone: %v", err)
	}
}

func TestRefusedMicrophoneIsAnAudioPermissionError(t *testing.T) {
	fake := newFake()
	p := newPermissions(fake.ask)
	p.setView(7)
	done := request(t.Context(), p.RequestMicrophone)
	fake.next(t).answer(false)
	err := result(t, done)
	if !errors.Is(err, audio.ErrPermission) || !errors.Is(err, ErrDenied) {
		t.Fatalf("refused microphone: %v, want audio.ErrPermission and ErrDenied", err)
	}
}

func TestNotificationsAskForPostNotifications(t *testing.T) {
	fake := newFake()
	p := newPermissions(fake.ask)
	p.setView(7)

	done := request(t.Context(), p.RequestNotifications)
	got := fake.next(t)
	if got.perm != notifications {
		t.Fatalf("dialog for %v, want POST_NOTIFICATIONS", got.perm)
	}
	got.answer(false)
	err := result(t, done)
	if !errors.Is(err, ErrDenied) || errors.Is(err, audio.ErrPermission) {
		t.Fatalf("refused notifications: %v, want ErrDenied only", err)
	}

	done = request(t.Context(), p.RequestNotifications)
	fake.next(t).answer(true)
	if err := result(t, done); err != nil {
		t.Fatalf("allowed notifications: %v", err)
	}
}

func TestOneDialogAtATime(t *testing.T) {
	fake := newFake()
	p := newPermissions(fake.ask)
	p.setView(7)
	mic := request(t.Context(), p.RequestMicrophone)
	note := request(t.Context(), p.RequestNotifications)

	first := fake.next(t)
	first.answer(true)
	second := fake.next(t)
	second.answer(true)
	if err := result(t, mic); err != nil {
		t.Fatal(err)
	}
	if err := result(t, note); err != nil {
		t.Fatal(err)
	}
	if first.perm == second.perm {
		t.Fatalf("asked for %v twice", first.perm)
	}
	if n := fake.overlaps.Load(); n != 0 {
		t.Fatalf("%d dialogs were shown while another was up", n)
	}
}

func TestGivingUpBeforeTheWindowExists(t *testing.T) {
	fake := newFake()
	p := newPermissions(fake.ask)
	ctx, cancel := context.WithCancel(t.Context())
	done := request(ctx, p.RequestMicrophone)
	cancel()
	if err := result(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while no window: %v", err)
	}
	if len(fake.prompts) != 0 {
		t.Fatal("a dialog was shown without a window")
	}
}

func TestGivingUpWhileTheDialogIsUp(t *testing.T) {
	fake := newFake()
	p := newPermissions(fake.ask)
	p.setView(7)
	ctx, cancel := context.WithCancel(t.Context())
	done := request(ctx, p.RequestMicrophone)
	late := fake.next(t)
	cancel()
	if err := result(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while asking: %v", err)
	}
	late.answer(true) // the user answers after all: nobody waits, nothing blocks

	done = request(t.Context(), p.RequestMicrophone)
	fake.next(t).answer(true)
	if err := result(t, done); err != nil {
		t.Fatalf("the next request after giving up: %v", err)
	}
}

func TestDialogsFollowTheCurrentView(t *testing.T) {
	fake := newFake()
	p := newPermissions(fake.ask)
	if old := p.setView(7); old != 0 {
		t.Fatalf("first view replaced %d", old)
	}
	if old := p.setView(0); old != 7 { // the window went away
		t.Fatalf("detaching returned %d, want the view to release (7)", old)
	}
	done := request(t.Context(), p.RequestMicrophone)
	if old := p.setView(9); old != 0 {
		t.Fatalf("reattaching returned %d", old)
	}
	got := fake.next(t)
	if got.view != 9 {
		t.Fatalf("dialog over view %d, want the new view 9", got.view)
	}
	got.answer(true)
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}
}

func TestAFailedCallToJavaIsReportedAndFreesTheTurn(t *testing.T) {
	fake := newFake()
	fake.fail = errors.New("PermissionRequester is missing")
	p := newPermissions(fake.ask)
	p.setView(7)
	err := result(t, request(t.Context(), p.RequestMicrophone))
	if !errors.Is(err, fake.fail) || errors.Is(err, audio.ErrPermission) {
		t.Fatalf("failed call: %v, want the call's error, not a refusal", err)
	}
	fake.fail = nil
	done := request(t.Context(), p.RequestMicrophone)
	fake.next(t).answer(true)
	if err := result(t, done); err != nil {
		t.Fatalf("request after a failed call: %v", err)
	}
}

func TestOtherPlatformsHaveNothingToAsk(t *testing.T) {
	p := NewPermissions() // this test runs on a desktop
	p.ListenEvents(nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // no waiting at all: even a finished context is enough
	if err := p.RequestMicrophone(ctx); err != nil {
		t.Fatalf("microphone: %v", err)
	}
	if err := p.RequestNotifications(ctx); err != nil {
		t.Fatalf("notifications: %v", err)
	}
}
