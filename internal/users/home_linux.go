package users

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// ensureHome creates /home/NAME (0755, owned by the user) and copies
// /etc/skel into it, only when it does not exist. An existing home — a
// persistent volume after a pod restart — is kept exactly as it is: never
// chowned, never re-seeded. It reports whether it created the home.
//
// The new home stays root's, mode 0700, while the skeleton is copied, and
// every entry is made relative to a directory descriptor with O_EXCL and
// O_NOFOLLOW: the user cannot reach the home until it is handed over
// whole, so no planted link can redirect a write or a chown of root's.
func ensureHome(root string, a Account) (bool, error) {
	homes, err := openDirNoFollow(root, "home", true)
	if err != nil {
		return false, fmt.Errorf("home %s: %w", a.Home(), err)
	}
	defer unix.Close(homes)
	var st unix.Stat_t
	err = unix.Fstatat(homes, a.Name, &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR:
		return false, nil
	case err == nil:
		return false, fmt.Errorf("home %s: exists and is not a directory", a.Home())
	case !errors.Is(err, unix.ENOENT):
		return false, fmt.Errorf("home %s: %w", a.Home(), err)
	}
	if err := unix.Mkdirat(homes, a.Name, 0o700); err != nil {
		return false, fmt.Errorf("create home %s: %w", a.Home(), err)
	}
	home, err := unix.Openat(homes, a.Name, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return true, fmt.Errorf("create home %s: %w", a.Home(), err)
	}
	defer unix.Close(home)
	err = copySkel(filepath.Join(root, "/etc/skel"), home, a.UID, a.UID)
	if err != nil {
		// Not handed over yet: remove it so that the next boot tries again
		// instead of keeping a half-made home as the user's.
		_ = os.RemoveAll(filepath.Join(root, a.Home()))
		return false, fmt.Errorf("copy /etc/skel to %s: %w", a.Home(), err)
	}
	if err := unix.Fchmod(home, 0o755); err != nil {
		return true, fmt.Errorf("create home %s: %w", a.Home(), err)
	}
	if err := unix.Fchown(home, a.UID, a.UID); err != nil {
		return true, fmt.Errorf("create home %s: %w", a.Home(), err)
	}
	return true, nil
}

// openDirNoFollow opens root/name as a directory without following a
// symlink at name, creating it (0755) when create is set.
func openDirNoFollow(root, name string, create bool) (int, error) {
	rfd, err := unix.Open(root, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(rfd)
	if create {
		if err := unix.Mkdirat(rfd, name, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			return -1, err
		}
	}
	return unix.Openat(rfd, name, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
}

// copySkel copies the skeleton tree (root's, trusted) into the directory
// dst, giving every entry to uid:gid: regular files with their mode and
// times, directories, symlinks as links. Sockets and devices are skipped.
func copySkel(skel string, dst, uid, gid int) error {
	entries, err := os.ReadDir(skel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // no /etc/skel: nothing to copy
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		src := filepath.Join(skel, e.Name())
		fi, err := os.Lstat(src)
		if err != nil {
			return err
		}
		skelEntry(src)
		if err := copySkelEntry(src, fi, dst, e.Name(), uid, gid); err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
	}
	return nil
}

// skelEntry runs before each entry is copied; tests look at the home then.
var skelEntry = func(src string) {}

func copySkelEntry(src string, fi fs.FileInfo, dir int, name string, uid, gid int) error {
	switch {
	case fi.IsDir():
		if err := unix.Mkdirat(dir, name, 0o700); err != nil {
			return err
		}
		sub, err := unix.Openat(dir, name, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(sub)
		if err := copySkel(src, sub, uid, gid); err != nil {
			return err
		}
		if err := unix.Fchown(sub, uid, gid); err != nil {
			return err
		}
		return unix.Fchmod(sub, uint32(fi.Mode().Perm()))
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := unix.Symlinkat(target, dir, name); err != nil {
			return err
		}
		return unix.Fchownat(dir, name, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
	case fi.Mode().IsRegular():
		return copyFileAt(src, fi, dir, name, uid, gid)
	}
	return nil // sockets, devices: not in a skeleton
}

// copyFileAt copies the regular file src to a new file name in dir.
func copyFileAt(src string, fi fs.FileInfo, dir int, name string, uid, gid int) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fd, err := unix.Openat(dir, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	out := os.NewFile(uintptr(fd), name)
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Chown(uid, gid)
	}
	if err == nil {
		err = out.Chmod(fi.Mode().Perm())
	}
	if err == nil {
		t := unix.NsecToTimespec(fi.ModTime().UnixNano())
		err = unix.UtimesNanoAt(dir, name, []unix.Timespec{t, t}, unix.AT_SYMLINK_NOFOLLOW)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
