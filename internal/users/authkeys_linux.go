package users

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// SyncAuthorizedKeys brings ~/.ssh/authorized_keys of the account up to
// date with sets (see mergeAuthorizedKeys) and reports whether it changed.
//
// The home belongs to the user, who may have planted symlinks or hard links
// to make root read or write elsewhere (.ssh -> /root/.ssh,
// authorized_keys -> /etc/shadow). So nothing is resolved by path: each
// directory is opened with O_NOFOLLOW below the one before, the old file is
// read only if it is a regular file of the user's with one link (and an
// unchanged one gets its owner and mode back through the same descriptor,
// never by name again), and the
// new one is written to a fresh temporary file and renamed into place,
// which replaces a link rather than following it.
func SyncAuthorizedKeys(root string, a Account, sets []KeySet) (bool, error) {
	fail := func(err error) (bool, error) {
		return false, fmt.Errorf("authorized_keys of %s: %w", a.Name, err)
	}
	homes, err := openDirNoFollow(root, "home", false)
	if err != nil {
		return fail(err)
	}
	defer unix.Close(homes)
	home, err := unix.Openat(homes, a.Name, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail(fmt.Errorf("open %s: %w", a.Home(), refuseLink(err)))
	}
	defer unix.Close(home)
	if err := unix.Mkdirat(home, ".ssh", 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
		return fail(err)
	}
	dir, err := unix.Openat(home, ".ssh", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail(fmt.Errorf("open %s/.ssh: %w", a.Home(), refuseLink(err)))
	}
	defer unix.Close(dir)
	if err := unix.Fchown(dir, a.UID, a.UID); err != nil {
		return fail(err)
	}
	if err := unix.Fchmod(dir, 0o700); err != nil {
		return fail(err)
	}

	cur, err := openOwnFile(dir, "authorized_keys", a.UID)
	if err != nil {
		return fail(fmt.Errorf("%s/.ssh/authorized_keys: %w", a.Home(), err))
	}
	defer cur.Close()
	old, err := cur.read()
	if err != nil {
		return fail(fmt.Errorf("%s/.ssh/authorized_keys: %w", a.Home(), err))
	}
	content := mergeAuthorizedKeys(old, sets)
	if content == old {
		afterRead() // test seam: the user swaps the name here
		return false, cur.fix(a.UID)
	}
	if err := writeOwnFile(dir, "authorized_keys", []byte(content), a.UID); err != nil {
		return fail(err)
	}
	return true, nil
}

// afterRead runs between reading authorized_keys and fixing its owner and
// mode; tests race a hard link in here.
var afterRead = func() {}

func refuseLink(err error) error {
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
		return fmt.Errorf("is a symlink or not a directory; refusing to follow it: %w", err)
	}
	return err
}

// ownFile is a file in a user-controlled directory, opened once without
// following a link and checked: every later read, chown and chmod works on
// that descriptor, so swapping the name for a link to /etc/shadow between
// the check and the use changes nothing.
type ownFile struct{ f *os.File } // nil f: the file does not exist

// openOwnFile opens name in dir if it exists and is a regular file owned by
// uid or root with one link.
func openOwnFile(dir int, name string, uid int) (ownFile, error) {
	fd, err := unix.Openat(dir, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return ownFile{}, nil
	}
	if err != nil {
		return ownFile{}, refuseLink(err)
	}
	f := os.NewFile(uintptr(fd), name)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return ownFile{}, err
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		err = errors.New("is not a regular file; refusing to read it")
	case st.Nlink != 1:
		err = fmt.Errorf("has %d hard links; refusing to read it", st.Nlink)
	case int(st.Uid) != uid && st.Uid != 0:
		err = fmt.Errorf("is owned by uid %d, not %d; refusing to read it", st.Uid, uid)
	}
	if err != nil {
		f.Close()
		return ownFile{}, err
	}
	return ownFile{f}, nil
}

// read returns the content, "" for a file that does not exist.
func (o ownFile) read() (string, error) {
	if o.f == nil {
		return "", nil
	}
	b, err := io.ReadAll(io.LimitReader(o.f, 4<<20))
	return string(b), err
}

// fix gives the file its owner and mode 0600 back, through the descriptor.
func (o ownFile) fix(uid int) error {
	if o.f == nil {
		return nil
	}
	if err := o.f.Chown(uid, uid); err != nil {
		return err
	}
	return o.f.Chmod(0o600)
}

func (o ownFile) Close() {
	if o.f != nil {
		o.f.Close()
	}
}

// writeOwnFile replaces name in dir by a new file with data, mode 0600,
// owned by uid.
func writeOwnFile(dir int, name string, data []byte, uid int) error {
	var r [6]byte
	_, _ = rand.Read(r[:])
	tmp := "." + name + ".boxinit-" + hex.EncodeToString(r[:])
	fd, err := unix.Openat(dir, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), tmp)
	err = func() error {
		if err := f.Chown(uid, uid); err != nil {
			return err
		}
		if err := f.Chmod(0o600); err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			return err
		}
		return f.Sync()
	}()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = unix.Renameat(dir, tmp, dir, name)
	}
	if err != nil {
		_ = unix.Unlinkat(dir, tmp, 0)
	}
	return err
}
