package timers

import (
	"errors"
	"io/fs"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The host's clock is shared: no test sets it. What a clock set looks like
// to the reader is the kernel's ECANCELED, as os.File hands it over.
func TestReadOutcome_ECANCELEDIsAClockStepAndEightBytesAnElapse(t *testing.T) {
	cases := []struct {
		name          string
		n             int
		err           error
		stepped, more bool
		fails         bool
	}{
		{"the clock was set", 0, &fs.PathError{Op: "read", Path: "timerfd", Err: unix.ECANCELED}, true, false, false},
		{"the moment came", 8, nil, false, false, false},
		{"interrupted", 0, &fs.PathError{Op: "read", Path: "timerfd", Err: unix.EINTR}, false, true, false},
		{"closed", 0, os.ErrClosed, false, false, true},
		{"short read", 4, nil, false, false, true},
	}
	for _, c := range cases {
		stepped, again, err := readOutcome(c.n, c.err)
		if stepped != c.stepped || again != c.more || (err != nil) != c.fails {
			t.Errorf("%s: stepped %v again %v err %v; want %v %v fails %v", c.name, stepped, again, err, c.stepped, c.more, c.fails)
		}
	}
}

func TestWallAlarm_WakesAtTheWallClockMomentItWasArmedFor(t *testing.T) {
	a, err := NewWallAlarm()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	at := time.Now().Add(50 * time.Millisecond)
	if err := a.Set(at); err != nil {
		t.Fatal(err)
	}
	type result struct {
		stepped bool
		err     error
	}
	done := make(chan result, 1)
	go func() {
		stepped, err := a.Wait()
		done <- result{stepped, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || r.stepped {
			t.Fatalf("Wait: stepped %v, %v", r.stepped, r.err)
		}
		if now := time.Now(); now.Before(at) {
			t.Errorf("woke at %v, before %v", now, at)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the alarm did not wake at the moment it was armed for")
	}
}

func TestWallAlarm_CloseEndsAWaitAndAnUnarmedAlarmDoesNotWake(t *testing.T) {
	a, err := NewWallAlarm()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := a.Wait()
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("an alarm armed for no moment woke: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	a.Close()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("Wait after Close: %v, want os.ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not end Wait")
	}
}
