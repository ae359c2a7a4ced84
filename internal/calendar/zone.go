package calendar

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// zoneDir is where Debian's tzdata puts the zone files.
const zoneDir = "usr/share/zoneinfo"

// validZoneName accepts what systemd's timezone_is_valid accepts as a name:
// a relative path of letters, digits and "/-_+" whose parts do not start
// with "." and are not empty.
func validZoneName(name string) bool {
	if name == "" || name[0] == '/' || len(name) > 255 {
		return false
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || part[0] == '.' {
			return false
		}
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/-_+", r)
		if !ok {
			return false
		}
	}
	return true
}

var zoneCache sync.Map // root + "\x00" + name → *time.Location

// loadZone reads the zone file name under root's /usr/share/zoneinfo. For
// the running system ("" or "/") without that directory it falls back to
// Go's own copy of the tz database.
func loadZone(root, name string) (*time.Location, error) {
	if root == "" {
		root = "/"
	}
	key := root + "\x00" + name
	if loc, ok := zoneCache.Load(key); ok {
		return loc.(*time.Location), nil
	}
	loc, err := readZone(root, name)
	if errors.Is(err, fs.ErrNotExist) && root == "/" {
		if _, serr := os.Stat(filepath.Join(root, zoneDir)); errors.Is(serr, fs.ErrNotExist) && name != "Local" {
			loc, err = time.LoadLocation(name)
		}
	}
	if err != nil {
		return nil, err
	}
	zoneCache.Store(key, loc)
	return loc, nil
}

// readZone reads a zone file. Under a root other than "/" it goes through
// an os.Root, so that a symlink in the zone directory (Debian's US/Eastern
// -> ../America/New_York) is followed only inside that root.
func readZone(root, name string) (_ *time.Location, err error) {
	path := filepath.Join(root, zoneDir, name)
	var f *os.File
	if root == "/" {
		f, err = os.Open(path) // the running system's /usr/share/zoneinfo/localtime points to /etc
	} else {
		var r *os.Root
		if r, err = os.OpenRoot(root); err != nil {
			return nil, err
		}
		defer r.Close()
		f, err = r.Open(filepath.Join(zoneDir, name))
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("read zone %s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read zone %s: %w", path, err)
	}
	if !bytes.HasPrefix(data, []byte("TZif")) {
		return nil, fmt.Errorf("read zone %s: not a TZif file", path)
	}
	return time.LoadLocationFromTZData(name, data)
}
