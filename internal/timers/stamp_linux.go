package timers

import (
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const noFollow = unix.O_NOFOLLOW

// setTimes sets f's access and modification times to at: utimensat(fd,
// NULL, …), which is futimens(3).
func setTimes(f *os.File, at time.Time) error {
	ts := [2]unix.Timespec{unix.NsecToTimespec(at.UnixNano()), unix.NsecToTimespec(at.UnixNano())}
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, f.Fd(), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
