package units

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// SearchPath is where systemd (as PID 1 of a system) looks for units, in
// order of precedence: the first directory that has a name wins. The
// generator directories are filled by generators at boot (postgresql's
// makes its clusters wanted there); /lib/systemd/system is Debian's place
// when /usr is not merged.
var SearchPath = []string{
	"/etc/systemd/system.control",
	"/run/systemd/system.control",
	"/run/systemd/transient",
	"/run/systemd/generator.early",
	"/etc/systemd/system",
	"/run/systemd/system",
	"/run/systemd/generator",
	"/usr/local/lib/systemd/system",
	"/lib/systemd/system",
	"/usr/lib/systemd/system",
	"/run/systemd/generator.late",
}

const maxSymlinks = 40

// resolve returns the host path of p (a path inside root), with every
// symlink on the way followed inside root: an absolute link target starts
// again at root, ".." never climbs above it. The last component is followed
// too. A missing component ends the walk: the rest is joined as it is.
func resolve(root, p string) (string, error) {
	return resolveN(root, p, true)
}

func resolveN(root, p string, followLast bool) (string, error) {
	root = filepath.Clean(root)
	todo := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	cur := "/" // inside root
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		if len(todo) == 0 && !followLast {
			cur = next
			break
		}
		fi, err := os.Lstat(filepath.Join(root, next))
		if errors.Is(err, fs.ErrNotExist) {
			cur = path.Join(append([]string{next}, todo...)...)
			break
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		links++
		if links > maxSymlinks {
			return "", fmt.Errorf("resolve %s: too many levels of symbolic links", p)
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if path.IsAbs(target) {
			cur = "/"
		}
		todo = append(strings.Split(strings.Trim(target, "/"), "/"), todo...)
	}
	return filepath.Join(root, cur), nil
}

// inRoot turns a host path under root back into the path seen inside root.
func inRoot(root, host string) string {
	rel, err := filepath.Rel(filepath.Clean(root), host)
	if err != nil || strings.HasPrefix(rel, "..") {
		return host
	}
	return "/" + filepath.ToSlash(rel)
}

// isNull reports whether the host path is a mask: /dev/null (the character
// device or, inside a test root, the path /dev/null) or an empty regular
// file, as systemd's null_or_empty_path decides.
func isNull(root, host string) bool {
	if inRoot(root, host) == "/dev/null" {
		return true
	}
	fi, err := os.Stat(host)
	if err != nil {
		return false
	}
	if fi.Mode()&fs.ModeCharDevice != 0 {
		return true // only /dev/null is a character device a unit link points at
	}
	return fi.Mode().IsRegular() && fi.Size() == 0
}
