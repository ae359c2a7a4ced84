package reaper

import (
	"os"

	"golang.org/x/sys/unix"
)

func setSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return os.NewSyscallError("prctl(PR_SET_CHILD_SUBREAPER)", err)
	}
	return nil
}

// foregroundTTY reports whether fd is boxinit's controlling terminal and
// boxinit's process group is in its foreground: only then does the main
// command get the terminal (as tini does), and a boxinit started in the
// background of someone's shell never steals it.
func foregroundTTY(fd int) bool {
	pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}
