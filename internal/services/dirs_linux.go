package services

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/users"
)

// makeDir makes p (inside root) and its missing parents, walking down by
// directory descriptors so that no component can be swapped for a link
// between the check and the use: a parent may be a symbolic link only when
// root owns the link (the image's /var/run → /run), the directory itself
// never is. Parents are made root's 0755; the directory gets mode (as
// written: 02000 is setgid) and, with chown, the service's owner — through
// its descriptor.
func makeDir(root, p string, mode uint32, id users.Identity, chown bool) error {
	fd, err := unix.Open(root, unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", root, err)
	}
	parts := strings.Split(strings.Trim(p, "/"), "/")
	cur := root
	for i, name := range parts {
		last := i == len(parts)-1
		cur = filepath.Join(cur, name)
		m := uint32(0o755)
		if last {
			m = mode & 0o777
		}
		if err := unix.Mkdirat(fd, name, m); err != nil && !errors.Is(err, unix.EEXIST) {
			unix.Close(fd)
			return fmt.Errorf("mkdir %s: %w", cur, err)
		}
		next, err := unix.Openat(fd, name, unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_RDONLY, 0)
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
			// O_NOFOLLOW met a link (ELOOP, or ENOTDIR with O_DIRECTORY).
			var st unix.Stat_t
			if serr := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); serr == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
				switch {
				case last:
					err = errors.New("a symbolic link, not a directory")
				case st.Uid != 0:
					err = errors.New("a symbolic link not owned by root")
				default:
					next, err = unix.Openat(fd, name, unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_RDONLY, 0)
				}
			}
		}
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("%s: %w", cur, err)
		}
		fd = next
	}
	defer unix.Close(fd)
	if err := unix.Fchmod(fd, mode); err != nil { // mkdir applied the umask
		return fmt.Errorf("chmod %s: %w", cur, err)
	}
	if chown {
		if err := unix.Fchown(fd, id.UID, id.GID); err != nil {
			return fmt.Errorf("chown %s: %w", cur, err)
		}
	}
	return nil
}
