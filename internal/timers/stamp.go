package timers

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
)

// StampDir is where Persistent= timers keep their stamps, under the root.
// The stamp of x.timer is StampDir/stamp-x.timer; its modification time is
// the timer's last trigger (systemd's /var/lib/systemd/timers, moved so that
// boxinit and a systemd booting the same image later do not mix theirs).
const StampDir = "var/lib/boxinit/timers"

func stampPath(unit string) (string, error) {
	if unit == "" || strings.ContainsRune(unit, '/') || strings.HasPrefix(unit, ".") {
		return "", fmt.Errorf("timer stamp: bad unit name %q", unit)
	}
	return path.Join(StampDir, "stamp-"+unit), nil
}

// ReadStamp reads the last trigger of unit from its stamp under root;
// ok is false when there is none. Only a regular file counts.
func ReadStamp(root, unit string) (last time.Time, ok bool, err error) {
	rel, err := stampPath(unit)
	if err != nil {
		return time.Time{}, false, err
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read timer stamp: %w", err)
	}
	defer r.Close()
	st, err := r.Lstat(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read timer stamp %s: %w", path.Join(root, rel), err)
	}
	if !st.Mode().IsRegular() {
		return time.Time{}, false, fmt.Errorf("read timer stamp %s: not a regular file", path.Join(root, rel))
	}
	return st.ModTime(), true, nil
}

// TouchStamp records at as unit's last trigger: the stamp is created (0644,
// its directory 0755) if missing and its times set to at, to the
// microsecond as systemd does. Symlinks are refused, and nothing outside
// root is touched.
func TouchStamp(root, unit string, at time.Time) error {
	rel, err := stampPath(unit)
	if err != nil {
		return err
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return fmt.Errorf("write timer stamp: %w", err)
	}
	defer r.Close()
	if err := r.MkdirAll(StampDir, 0o755); err != nil {
		return fmt.Errorf("write timer stamp %s: %w", path.Join(root, rel), err)
	}
	if st, err := r.Lstat(rel); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("write timer stamp %s: not a regular file", path.Join(root, rel))
	}
	f, err := r.OpenFile(rel, os.O_WRONLY|os.O_CREATE|noFollow, 0o644)
	if err != nil {
		return fmt.Errorf("write timer stamp %s: %w", path.Join(root, rel), err)
	}
	defer f.Close()
	at = at.Truncate(time.Microsecond)
	if err := setTimes(f, at); err != nil {
		return fmt.Errorf("write timer stamp %s: %w", path.Join(root, rel), err)
	}
	return nil
}

// RemoveStamp forgets unit's last trigger (systemctl clean --what=state).
func RemoveStamp(root, unit string) error {
	rel, err := stampPath(unit)
	if err != nil {
		return err
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return fmt.Errorf("remove timer stamp: %w", err)
	}
	defer r.Close()
	if err := r.Remove(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove timer stamp %s: %w", path.Join(root, rel), err)
	}
	return nil
}

// ReadMachineID reads root's /etc/machine-id (32 hex digits). Without one
// it returns ErrNoMachineID; callers then use a zero id, as systemd does.
func ReadMachineID(root string) ([16]byte, error) {
	var id [16]byte
	r, err := os.OpenRoot(root)
	if err != nil {
		return id, fmt.Errorf("read machine id: %w", err)
	}
	defer r.Close()
	data, err := r.ReadFile("etc/machine-id")
	if errors.Is(err, fs.ErrNotExist) || err == nil && strings.TrimSpace(string(data)) == "" {
		return id, ErrNoMachineID
	}
	if err != nil {
		return id, fmt.Errorf("read machine id: %w", err)
	}
	s := strings.TrimSpace(string(data))
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		return id, fmt.Errorf("read machine id %s: %q is not 32 hex digits", path.Join(root, "etc/machine-id"), s)
	}
	copy(id[:], b)
	return id, nil
}
