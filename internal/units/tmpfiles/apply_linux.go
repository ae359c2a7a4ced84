package tmpfiles

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/users"
)

// Options say how Apply runs.
type Options struct {
	Root   string
	Boot   bool // apply the '!' lines (boxinit applies at boot)
	Remove bool // empty D directories and run r/R lines (--remove)
}

// Apply creates, adjusts and removes what the lines say, in path order
// (a parent before its children), under o.Root. Every path is walked by
// directory descriptors: a parent may be a symbolic link only when root
// owns it (the image's /var/run → /run), the last component is never
// followed for a change of mode or owner, so a link a user controls never
// makes root chmod, chown or write elsewhere. It returns the errors of the
// lines that failed (those with '-' are left out), each naming its line.
func Apply(lines []Line, o Options) error {
	ids, err := readIDs(o.Root)
	if err != nil {
		return err
	}
	sorted := slices.Clone(lines)
	slices.SortStableFunc(sorted, func(a, b Line) int { return strings.Compare(a.Path, b.Path) })
	var errs []error
	for _, l := range sorted {
		if l.Boot && !o.Boot {
			continue
		}
		if err := apply(l, o, ids); err != nil && !l.IgnoreEr {
			errs = append(errs, LineError{l.Where, err})
		}
	}
	return errors.Join(errs...)
}

type idTables struct{ users, groups map[string]int }

func readIDs(root string) (idTables, error) {
	t := idTables{users: map[string]int{"root": 0}, groups: map[string]int{"root": 0}}
	if f, err := os.Open(filepath.Join(root, "etc/passwd")); err == nil {
		pw, err := users.ParsePasswd(f)
		f.Close()
		if err != nil {
			return t, err
		}
		for _, p := range pw {
			t.users[p.Name] = p.UID
		}
	}
	if f, err := os.Open(filepath.Join(root, "etc/group")); err == nil {
		gr, err := users.ParseGroup(f)
		f.Close()
		if err != nil {
			return t, err
		}
		for _, g := range gr {
			t.groups[g.Name] = g.GID
		}
	}
	return t, nil
}

func (t idTables) owner(l Line) (uid, gid int, err error) {
	uid, gid = -1, -1
	look := func(m map[string]int, s, what string) (int, error) {
		if n, err := strconv.Atoi(s); err == nil {
			return n, nil
		}
		if n, ok := m[s]; ok {
			return n, nil
		}
		return -1, fmt.Errorf("%s %s: not in /etc/%s", what, s, map[string]string{"user": "passwd", "group": "group"}[what])
	}
	if l.User != "" {
		if uid, err = look(t.users, l.User, "user"); err != nil {
			return
		}
	}
	if l.Group != "" {
		gid, err = look(t.groups, l.Group, "group")
	}
	return
}

func apply(l Line, o Options, ids idTables) error {
	switch l.Type {
	case 'x', 'X':
		return nil
	case 'r', 'R':
		if !o.Remove {
			return nil
		}
		return remove(o.Root, l)
	case 'd', 'D', 'v', 'q', 'Q', 'e':
		return directory(l, o, ids)
	case 'f', 'F', 'w':
		return file(l, o, ids)
	case 'L':
		return symlink(l, o)
	case 'z', 'Z':
		return adjustExisting(l, o, ids)
	}
	return fmt.Errorf("type %c is not supported by boxinit", l.Type)
}

// openParent opens the directory that holds p (inside root), making the
// missing parents root's 0755, and returns it with the last name.
func openParent(root, p string, create bool) (int, string, error) {
	fd, err := unix.Open(root, unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_RDONLY, 0)
	if err != nil {
		return -1, "", err
	}
	parts := strings.Split(strings.Trim(p, "/"), "/")
	for _, name := range parts[:len(parts)-1] {
		if create {
			if err := unix.Mkdirat(fd, name, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
				unix.Close(fd)
				return -1, "", fmt.Errorf("mkdir %s: %w", name, err)
			}
		}
		next, err := openDir(fd, name)
		unix.Close(fd)
		if err != nil {
			return -1, "", err
		}
		fd = next
	}
	return fd, parts[len(parts)-1], nil
}

// openDir opens name under dirfd as a directory; a symbolic link is
// followed only when root owns it.
func openDir(dirfd int, name string) (int, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_RDONLY, 0)
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
		var st unix.Stat_t
		if serr := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); serr == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
			if st.Uid != 0 {
				return -1, fmt.Errorf("%s: a symbolic link not owned by root", name)
			}
			return unix.Openat(dirfd, name, unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_RDONLY, 0)
		}
	}
	if err != nil {
		return -1, fmt.Errorf("%s: %w", name, err)
	}
	return fd, nil
}

// fix sets mode and owner through fd, as the line says.
func fix(fd int, l Line, ids idTables, created bool, dir bool) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if l.ModeSet && (created || !l.ModeNew) {
		mode := l.Mode
		if l.ModeKeep {
			mode &= st.Mode & 0o7777
		}
		if err := unix.Fchmod(fd, mode); err != nil {
			return fmt.Errorf("chmod: %w", err)
		}
	} else if created {
		def := uint32(0o644)
		if dir {
			def = 0o755
		}
		if err := unix.Fchmod(fd, def); err != nil {
			return fmt.Errorf("chmod: %w", err)
		}
	}
	uid, gid, err := ids.owner(l)
	if err != nil {
		return err
	}
	if uid >= 0 || gid >= 0 {
		if err := unix.Fchown(fd, uid, gid); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
	}
	return nil
}

func directory(l Line, o Options, ids idTables) error {
	parent, name, err := openParent(o.Root, l.Path, l.Type != 'e')
	if err != nil {
		return err
	}
	defer unix.Close(parent)
	created := false
	if l.Type != 'e' {
		mode := uint32(0o755)
		if l.ModeSet {
			mode = l.Mode & 0o777
		}
		err := unix.Mkdirat(parent, name, mode)
		switch {
		case err == nil:
			created = true
		case !errors.Is(err, unix.EEXIST):
			return fmt.Errorf("mkdir %s: %w", l.Path, err)
		}
	}
	fd, err := unix.Openat(parent, name, unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_RDONLY, 0)
	if l.Type == 'e' && errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: not a directory (or a symbolic link): %w", l.Path, err)
	}
	defer unix.Close(fd)
	if err := fix(fd, l, ids, created, true); err != nil {
		return fmt.Errorf("%s: %w", l.Path, err)
	}
	if l.Type == 'D' && o.Remove && !created {
		return emptyDir(fd, l.Path)
	}
	return nil
}

// emptyDir removes what a directory holds, through its descriptor.
func emptyDir(fd int, p string) error {
	d, err := unix.Dup(fd)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(d), p)
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := os.RemoveAll(fmt.Sprintf("/proc/self/fd/%d/%s", fd, n)); err != nil {
			return fmt.Errorf("empty %s: %w", p, err)
		}
	}
	return nil
}

func file(l Line, o Options, ids idTables) error {
	parent, name, err := openParent(o.Root, l.Path, l.Type != 'w')
	if err != nil {
		return err
	}
	defer unix.Close(parent)
	created := false
	var fd int
	switch {
	case l.Type == 'w':
		flags := unix.O_WRONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC
		if l.Plus {
			flags |= unix.O_APPEND
		}
		fd, err = unix.Openat(parent, name, flags, 0)
		if errors.Is(err, unix.ENOENT) {
			return nil // w only writes to a file that exists
		}
	default:
		fd, err = unix.Openat(parent, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err == nil {
			created = true
		} else if errors.Is(err, unix.EEXIST) {
			flags := unix.O_WRONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC
			if l.Type == 'F' || l.Plus {
				flags |= unix.O_TRUNC
			}
			fd, err = unix.Openat(parent, name, flags|unix.O_NONBLOCK, 0)
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", l.Path, err)
	}
	f := os.NewFile(uintptr(fd), l.Path)
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", l.Path)
	}
	if l.Arg != "" && (created || l.Type == 'w' || l.Type == 'F' || l.Plus) {
		if _, err := f.WriteString(l.Arg); err != nil {
			return fmt.Errorf("%s: %w", l.Path, err)
		}
	}
	if l.Type == 'w' {
		return nil
	}
	if err := fix(fd, l, ids, created, false); err != nil {
		return fmt.Errorf("%s: %w", l.Path, err)
	}
	return nil
}

func symlink(l Line, o Options) error {
	if l.Arg == "" {
		return fmt.Errorf("%s: L needs a target (no /usr/share/factory copy is made)", l.Path)
	}
	parent, name, err := openParent(o.Root, l.Path, true)
	if err != nil {
		return err
	}
	defer unix.Close(parent)
	err = unix.Symlinkat(l.Arg, parent, name)
	if !errors.Is(err, unix.EEXIST) {
		if err != nil {
			return fmt.Errorf("%s: %w", l.Path, err)
		}
		return nil
	}
	buf := make([]byte, 4096)
	if n, rerr := unix.Readlinkat(parent, name, buf); rerr == nil && string(buf[:n]) == l.Arg {
		return nil
	}
	if !l.Plus {
		return nil // exists and is something else: left alone, as systemd-tmpfiles does without '+'
	}
	if err := os.RemoveAll(fmt.Sprintf("/proc/self/fd/%d/%s", parent, name)); err != nil {
		return fmt.Errorf("%s: %w", l.Path, err)
	}
	if err := unix.Symlinkat(l.Arg, parent, name); err != nil {
		return fmt.Errorf("%s: %w", l.Path, err)
	}
	return nil
}

func adjustExisting(l Line, o Options, ids idTables) error {
	parent, name, err := openParent(o.Root, l.Path, false)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(parent)
	return adjustAt(parent, name, l, ids, l.Type == 'Z')
}

// adjustAt fixes mode and owner of name under dirfd, never through a
// symbolic link, and below it when recursive.
func adjustAt(dirfd int, name string, l Line, ids idTables, recursive bool) error {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ELOOP) {
		return nil // gone, or a link: links are not changed
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path.Join(l.Path, name), err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	if err := fix(fd, l, ids, false, isDir); err != nil {
		return fmt.Errorf("%s: %w", l.Path, err)
	}
	if !recursive || !isDir {
		return nil
	}
	d, err := unix.Dup(fd)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(d), l.Path)
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := adjustAt(fd, n, l, ids, true); err != nil {
			return err
		}
	}
	return nil
}

func remove(root string, l Line) error {
	matches, err := filepath.Glob(filepath.Join(root, l.Path))
	if err != nil {
		return err
	}
	for _, m := range matches {
		inRoot := "/" + strings.TrimPrefix(strings.TrimPrefix(m, filepath.Clean(root)), "/")
		parent, name, err := openParent(root, inRoot, false)
		if err != nil {
			continue
		}
		target := fmt.Sprintf("/proc/self/fd/%d/%s", parent, name)
		if l.Type == 'R' {
			err = os.RemoveAll(target)
		} else {
			err = unix.Unlinkat(parent, name, 0)
			if errors.Is(err, unix.EISDIR) {
				err = unix.Unlinkat(parent, name, unix.AT_REMOVEDIR)
			}
		}
		unix.Close(parent)
		if err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ENOTEMPTY) {
			return fmt.Errorf("remove %s: %w", inRoot, err)
		}
	}
	return nil
}
