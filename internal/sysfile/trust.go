package sysfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// OverflowUID is the uid a file shows when its owner has no uid in this
// user namespace (a ConfigMap under `hostUsers: false` without idmapped
// mounts): /proc/sys/kernel/overflowuid, 65534 by default.
func OverflowUID() uint32 {
	b, err := os.ReadFile("/proc/sys/kernel/overflowuid")
	if n, perr := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32); err == nil && perr == nil {
		return uint32(n)
	}
	return 65534
}

// ReadOnlyFS reports whether path is on a read-only mount.
func ReadOnlyFS(path string) bool {
	var sfs unix.Statfs_t
	return unix.Statfs(path, &sfs) == nil && sfs.Flags&unix.ST_RDONLY != 0
}

// Trusted reports why root must not run (or read as its own
// configuration) the file at path: the file, or a directory from it up to
// top (root's tree), can be changed by someone other than root or owner —
// it is owned by another uid, or writable by group or others. Symlinks are
// resolved first (a ConfigMap's files are links into ..data/); a file of
// the overflow uid on a read-only mount counts as root's (nobody in the
// container owns or can write it). owner is the other uid allowed (boxinit's
// own euid when it is not root; 0 otherwise). It returns nil when trusted.
func Trusted(path, top string, owner int) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	if top, err = filepath.EvalSymlinks(top); err != nil {
		return err
	}
	for p := real; ; p = filepath.Dir(p) {
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			return err
		}
		ok := st.Uid == 0 || int(st.Uid) == owner || st.Uid == OverflowUID() && ReadOnlyFS(p)
		switch {
		case !ok:
			return fmt.Errorf("%s is owned by uid %d, not root", p, st.Uid)
		case st.Mode&0o022 != 0:
			return fmt.Errorf("%s is writable by group or others (mode %04o)", p, st.Mode&0o7777)
		}
		if p == top || p == "/" { // a link out of top is checked up to /
			return nil
		}
	}
}
