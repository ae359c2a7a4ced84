package services

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// watchPID returns a channel closed when pid, which boxinit did not start
// (a forking daemon's main process, a MAINPID= from a notify service),
// exits. It polls a pidfd: nothing is waited for, so the reaper keeps
// reaping it (its exit status is then not known here).
func watchPID(pid int) (<-chan struct{}, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer unix.Close(fd)
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			_, err := unix.Poll(fds, -1)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
	}()
	return done, nil
}

// alive reports whether pid exists (a zombie counts as gone).
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
