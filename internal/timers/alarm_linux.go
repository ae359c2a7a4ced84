package timers

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// WallAlarm wakes its owner at a moment of the wall clock, and whenever
// the wall clock is set: a CLOCK_REALTIME timerfd armed with
// TFD_TIMER_ABSTIME|TFD_TIMER_CANCEL_ON_SET, as systemd arms its realtime
// clock. A read of it returns when the moment has come, or fails with
// ECANCELED when the clock was set (settimeofday, an NTP step, a VM
// resumed) — the kernel tells, nothing polls. Wait blocks in the Go
// runtime's poller, not in a thread.
type WallAlarm struct {
	f *os.File
}

// farFuture is the moment an alarm with nothing to wake for is armed at,
// so that a clock set still wakes it (systemd's TIME_T_MAX).
var farFuture = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// NewWallAlarm makes an alarm armed for no moment.
func NewWallAlarm() (*WallAlarm, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_REALTIME, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("timerfd_create: %w", err)
	}
	a := &WallAlarm{f: os.NewFile(uintptr(fd), "timerfd")}
	if err := a.Set(time.Time{}); err != nil {
		a.f.Close()
		return nil, err
	}
	return a, nil
}

// Set arms the alarm for at (zero: no moment; only a clock set wakes
// it). A moment already past wakes Wait at once.
func (a *WallAlarm) Set(at time.Time) error {
	if at.IsZero() {
		at = farFuture
	}
	if !at.After(time.Unix(0, 0)) {
		at = time.Unix(0, 1) // it_value 0 would disarm the timer
	}
	spec := unix.ItimerSpec{Value: unix.Timespec{Sec: at.Unix(), Nsec: int64(at.Nanosecond())}}
	rc, err := a.f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.TimerfdSettime(int(fd), unix.TFD_TIMER_ABSTIME|unix.TFD_TIMER_CANCEL_ON_SET, &spec, nil)
	}); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("timerfd_settime: %w", serr)
	}
	return nil
}

// Wait blocks until the armed moment has come (stepped false) or the wall
// clock was set (stepped true). After Close it returns os.ErrClosed.
func (a *WallAlarm) Wait() (stepped bool, err error) {
	var buf [8]byte
	for {
		n, err := a.f.Read(buf[:])
		stepped, again, err := readOutcome(n, err)
		if !again {
			return stepped, err
		}
	}
}

// readOutcome is what one read of a timerfd means: 8 bytes are the count of
// expirations (the moment came), ECANCELED is a clock set (the kernel's
// answer for a TFD_TIMER_CANCEL_ON_SET timer), EINTR and EAGAIN mean read
// again; anything else ends Wait.
func readOutcome(n int, err error) (stepped, again bool, _ error) {
	switch {
	case errors.Is(err, unix.ECANCELED):
		return true, false, nil
	case errors.Is(err, unix.EINTR), errors.Is(err, unix.EAGAIN):
		return false, true, nil
	case err != nil:
		return false, false, err
	case n != 8:
		return false, false, fmt.Errorf("timerfd: read %d bytes, want 8", n)
	}
	return false, false, nil
}

// Close releases the timerfd; a Wait in progress returns os.ErrClosed.
func (a *WallAlarm) Close() error { return a.f.Close() }
