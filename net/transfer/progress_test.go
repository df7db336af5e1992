package transfer

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestMeterReportsSpeedAndTimeLeft(t *testing.T) {
	now := time.Unix(0, 0)
	var got []Progress
	m := newMeter(func() time.Time { return now }, time.Second, func(p Progress) { got = append(got, p) })
	m.start(Sending, 0, 100<<20)
	m.add(5 << 20) // within the interval: not reported
	now = now.Add(time.Second)
	m.add(5 << 20) // 10 MiB in 1 s
	if len(got) != 2 {
		t.Fatalf("reports = %+v, want the start and one after a second", got)
	}
	p := got[1]
	if p.Done != 10<<20 || p.Speed != 10<<20 || p.ETA != 9*time.Second {
		t.Fatalf("progress = %+v, want 10 MiB done at 10 MiB/s, 9 s left", p)
	}
	if got[0].ETA != -1 || got[0].Speed != 0 {
		t.Fatalf("first report = %+v, want unknown speed and time left", got[0])
	}
	now = now.Add(time.Second)
	m.add(20 << 20) // faster: the speed moves towards 20 MiB/s, smoothed
	if s := got[len(got)-1].Speed; s <= 10<<20 || s >= 20<<20 {
		t.Fatalf("smoothed speed = %.0f, want between 10 and 20 MiB/s", s)
	}
	m.set(100 << 20) // the end is always reported
	if last := got[len(got)-1]; last.Done != 100<<20 || last.ETA != 0 {
		t.Fatalf("last report = %+v", last)
	}
}

func TestLocalFileErrorsSayWhatHappened(t *testing.T) {
	for _, c := range []struct {
		err  error
		want error
	}{
		{&fs.PathError{Op: "open", Path: "/x", Err: syscall.ENOENT}, ErrFileMissing},
		{&fs.PathError{Op: "open", Path: "/x", Err: syscall.EACCES}, ErrPermission},
		{&fs.PathError{Op: "open", Path: "/x", Err: syscall.EPERM}, ErrPermission},
		{&fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}, ErrDiskFull},
	} {
		err := FileError("write", "/x", c.err)
		if !errors.Is(err, c.want) || !errors.Is(err, c.err.(*fs.PathError).Err) {
			t.Errorf("FileError(%v) = %v, want it to match %v", c.err, err, c.want)
		}
	}
	if err := FileError("read", "/x", os.ErrClosed); errors.Is(err, ErrFileMissing) || errors.Is(err, ErrDiskFull) || errors.Is(err, ErrPermission) {
		t.Errorf("an unrelated error was classified: %v", err)
	}
}
