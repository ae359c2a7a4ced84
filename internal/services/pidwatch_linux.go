package services

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// alive reports whether pid exists (a zombie counts as gone).
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
