package cron

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/sysfile"
)

// The owner and mode checks of cron(8). A crontab names the user its jobs
// run as, so whoever can write it can run commands as that user: a file
// that someone else could have written is refused as a whole. The checks
// are made on the descriptor that is then read (no window between check
// and read), and the open never blocks (a FIFO is refused, not waited on).

// openSystemCrontab opens a file of /etc/crontab or /etc/cron.d: a regular
// file, or a symlink to one, both owned by root (Debian's cron(8)); the
// file not writable by group or others.
func openSystemCrontab(path string) (*os.File, error) {
	lfi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if lfi.Mode()&fs.ModeSymlink != 0 {
		if _, uid := fileIDs(lfi); uid != 0 && !(uid == overflowUID() && dirReadOnly(filepath.Dir(path))) {
			return nil, fmt.Errorf("refused: a symlink owned by uid %d, not root", uid)
		}
	}
	f, st, err := openChecked(path, 0)
	if err != nil {
		return nil, err
	}
	if st.Uid != 0 && !(st.Uid == overflowUID() && fdReadOnly(int(f.Fd()))) {
		f.Close()
		return nil, fmt.Errorf("refused: owned by uid %d, not root", st.Uid)
	}
	if err := notWritableByOthers(st); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// openUserCrontab opens USER's spool crontab: a regular file (a symlink is
// refused, as Debian's cron does), owned by the user or root, not
// writable by group or others.
func openUserCrontab(path string, uid int, user string) (*os.File, error) {
	f, st, err := openChecked(path, unix.O_NOFOLLOW)
	if errors.Is(err, unix.ELOOP) {
		return nil, errors.New("refused: a symlink (a user crontab must be a regular file)")
	}
	if err != nil {
		return nil, err
	}
	if int(st.Uid) != uid && st.Uid != 0 {
		f.Close()
		return nil, fmt.Errorf("refused: owned by uid %d, not by %s (%d) or root", st.Uid, user, uid)
	}
	if err := notWritableByOthers(st); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// A file whose owner has no uid in boxinit's user namespace shows as the
// overflow uid (65534): a ConfigMap under `hostUsers: false` without
// idmapped mounts is one. Nobody in the container can be that owner, and
// on a read-only mount nobody can write it, so such a file is taken as
// root's; on a writable mount it is refused (65534 is also `nobody`).
var (
	overflowUID = defaultOverflowUID
	fdReadOnly  = defaultFdReadOnly
	dirReadOnly = defaultDirReadOnly
)

var defaultOverflowUID = sysfile.OverflowUID

func defaultFdReadOnly(fd int) bool {
	var sfs unix.Statfs_t
	return unix.Fstatfs(fd, &sfs) == nil && sfs.Flags&unix.ST_RDONLY != 0
}

var defaultDirReadOnly = sysfile.ReadOnlyFS

func openChecked(path string, flags int) (*os.File, *unix.Stat_t, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY|flags, 0)
	if err != nil {
		return nil, nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, nil, errors.New("refused: not a regular file")
	}
	return os.NewFile(uintptr(fd), path), &st, nil
}

func notWritableByOthers(st *unix.Stat_t) error {
	if st.Mode&0o022 != 0 {
		return fmt.Errorf("refused: mode %04o is writable by group or others", st.Mode&0o7777)
	}
	return nil
}

func fileIDs(fi fs.FileInfo) (ino uint64, uid uint32) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino, st.Uid
	}
	return 0, 0
}
