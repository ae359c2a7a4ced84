package reaper

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// pidfdFile wraps a pidfd so that the runtime's poller waits for it: an
// adopted process costs a parked goroutine, not a thread blocked in poll.
func pidfdFile(fd int) (*os.File, error) {
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return nil, os.NewSyscallError("pidfd nonblock", err)
	}
	return os.NewFile(uintptr(fd), "pidfd"), nil
}

// waitExited returns once the process of the pidfd has exited (it may be
// a zombie still), or with an error when f was closed.
func waitExited(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Read(func(fd uintptr) bool {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 0)
		return err == nil && n > 0 || err != nil && !errors.Is(err, unix.EINTR)
	})
}

type zombieState int

const (
	otherZombie     zombieState = iota // exited, another living parent has it
	ownZombie                          // boxinit's child: the reap loop gets it
	reapedElsewhere                    // another parent reaped it
)

// zombieOf tells, for an exited process, who reaps it. waitid with
// WNOWAIT only looks: the status stays for the reap loop's wait4.
func zombieOf(f *os.File) zombieState {
	rc, err := f.SyscallConn()
	if err != nil {
		return reapedElsewhere
	}
	st := otherZombie
	_ = rc.Control(func(fd uintptr) {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PIDFD, int(fd), &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		if err == nil && info.Signo != 0 {
			st = ownZombie
			return
		}
		if err := unix.PidfdSendSignal(int(fd), 0, nil, 0); errors.Is(err, unix.ESRCH) {
			st = reapedElsewhere
		}
	})
	return st
}

// pidfdSignal sends sig through an adopted process's pidfd.
func pidfdSignal(f *os.File, sig syscall.Signal) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return os.ErrProcessDone
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.PidfdSendSignal(int(fd), sig, nil, 0) }); err != nil {
		return os.ErrProcessDone
	}
	if errors.Is(serr, unix.ESRCH) {
		return os.ErrProcessDone
	}
	return serr
}
