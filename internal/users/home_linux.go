package users

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/sysfile"
)

// ensureHome creates /home/NAME (0755, owned by the user) and copies
// /etc/skel into it, only when it does not exist. An existing home — a
// persistent volume after a pod restart — is kept exactly as it is: never
// chowned, never re-seeded. It reports whether it created the home.
func ensureHome(root string, a Account) (bool, error) {
	home := filepath.Join(root, a.Home())
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
	if err := unix.Mkdirat(homes, a.Name, 0o755); err != nil {
		return false, fmt.Errorf("create home %s: %w", a.Home(), err)
	}
	if err := unix.Fchownat(homes, a.Name, a.UID, a.UID, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return true, fmt.Errorf("create home %s: %w", a.Home(), err)
	}
	if err := unix.Fchmodat(homes, a.Name, 0o755, 0); err != nil {
		return true, fmt.Errorf("create home %s: %w", a.Home(), err)
	}
	if err := copySkel(filepath.Join(root, "/etc/skel"), home, a.UID, a.UID); err != nil {
		return true, fmt.Errorf("copy /etc/skel to %s: %w", a.Home(), err)
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

// copySkel copies the skeleton tree (root's, trusted) into a home that was
// created a moment ago, giving everything to the user.
func copySkel(skel, home string, uid, gid int) error {
	return filepath.WalkDir(skel, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == skel {
			return filepath.SkipAll // no /etc/skel: nothing to copy
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(skel, path)
		if rel == "." {
			return nil
		}
		dst := filepath.Join(home, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.Mkdir(dst, 0o700); err != nil {
				return err
			}
			if err := os.Chmod(dst, fi.Mode().Perm()); err != nil {
				return err
			}
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, dst); err != nil {
				return err
			}
		case d.Type().IsRegular():
			if err := sysfile.CopyFile(path, dst, fi.Mode().Perm(), uid, gid); err != nil {
				return err
			}
			if err := os.Chtimes(dst, fi.ModTime(), fi.ModTime()); err != nil {
				return err
			}
		default:
			return nil // sockets, devices: not in a skeleton
		}
		return os.Lchown(dst, uid, gid)
	})
}
