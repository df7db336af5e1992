package android

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"parley/media/audio"
)

// ErrDenied: the user refused the permission (or Android refused it
// without asking, as it does once the user said no twice).
var ErrDenied = errors.New("android: permission denied")

// A permission is one of the runtime permissions PermissionRequester.java
// knows, by the same number.
type permission int

const (
	microphone    permission = 0 // android.permission.RECORD_AUDIO
	notifications permission = 1 // android.permission.POST_NOTIFICATIONS (Android 13 and later)
)

func (p permission) String() string {
	switch p {
	case microphone:
		return "RECORD_AUDIO"
	case notifications:
		return "POST_NOTIFICATIONS"
	}
	return fmt.Sprintf("permission(%d)", int(p))
}

// asker shows the system's dialog for p over view and reports the user's
// answer by calling answer exactly once, later, from any goroutine. It
// must not block: the dialog runs on the platform's UI thread.
type asker func(view uintptr, p permission, answer func(granted bool)) error

// Permissions asks the user for runtime permissions, one request at a
// time (Android shows one dialog at a time). Its methods may be called
// concurrently.
type Permissions struct {
	ask  asker         // nil where there is nothing to ask
	turn chan struct{} // holds a token while a request is in flight

	mu       sync.Mutex
	view     uintptr       // what dialogs are shown over; 0 while there is none
	attached chan struct{} // closed while view != 0
}

func newPermissions(ask asker) *Permissions {
	return &Permissions{ask: ask, turn: make(chan struct{}, 1), attached: make(chan struct{})}
}

// RequestMicrophone returns nil once the user allowed the app to record
// audio, at once if they did before. A refusal wraps audio.ErrPermission
// and ErrDenied.
func (p *Permissions) RequestMicrophone(ctx context.Context) error {
	return p.request(ctx, microphone)
}

// RequestNotifications asks to post notifications (Android 13 and later;
// before that they are allowed without asking). A refusal wraps
// ErrDenied.
func (p *Permissions) RequestNotifications(ctx context.Context) error {
	return p.request(ctx, notifications)
}

func (p *Permissions) request(ctx context.Context, perm permission) error {
	if p.ask == nil {
		return nil
	}
	select {
	case p.turn <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("android: wait to ask for %v: %w", perm, ctx.Err())
	}
	defer func() { <-p.turn }()

	answer := make(chan bool, 1) // the asker answers once and must never wait
	if err := p.show(ctx, perm, func(granted bool) { answer <- granted }); err != nil {
		return err
	}
	select {
	case granted := <-answer:
		switch {
		case granted:
			return nil
		case perm == microphone:
			return fmt.Errorf("android: %v refused: %w (%w)", perm, audio.ErrPermission, ErrDenied)
		default:
			return fmt.Errorf("android: %v refused: %w", perm, ErrDenied)
		}
	case <-ctx.Done():
		return fmt.Errorf("android: wait for the answer about %v: %w", perm, ctx.Err())
	}
}

// show waits for a view, then starts the dialog over it. The view is
// used under mu, so setView cannot release it meanwhile.
func (p *Permissions) show(ctx context.Context, perm permission, answer func(bool)) error {
	for {
		p.mu.Lock()
		if p.view != 0 {
			err := p.ask(p.view, perm, answer)
			p.mu.Unlock()
			if err != nil {
				return fmt.Errorf("android: ask for %v: %w", perm, err)
			}
			return nil
		}
		attached := p.attached
		p.mu.Unlock()
		select {
		case <-attached:
		case <-ctx.Done():
			return fmt.Errorf("android: wait for the window to ask for %v: %w", perm, ctx.Err())
		}
	}
}

// setView makes view (0: none) what dialogs are shown over and returns
// the previous one, which no request uses any more.
func (p *Permissions) setView(view uintptr) (old uintptr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case view != 0 && p.view == 0:
		close(p.attached)
	case view == 0 && p.view != 0:
		p.attached = make(chan struct{})
	}
	old, p.view = p.view, view
	return old
}
