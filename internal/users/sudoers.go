package users

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/boxinit/boxinit/internal/sysfile"
)

// NoSudo is the DEFAULT_USER_SUDO value that writes no sudoers file.
const NoSudo = "none"

// sudoersMarker starts every file boxinit writes, so that it only ever
// removes its own.
const sudoersMarker = "# Written by boxinit from DEFAULT_USER_SUDO"

// ValidateSudoRule rejects a DEFAULT_USER_SUDO value that could end its
// line and smuggle in another rule, or that sudo could not parse (see
// checkSudoRule): sudo ignores a file with a syntax error and complains
// about it on every call.
func ValidateSudoRule(rule string) error {
	if strings.TrimSpace(rule) == "" {
		return errors.New("is empty; use none for no sudo rule")
	}
	if i := strings.IndexAny(rule, "\n\r\x00"); i >= 0 {
		return fmt.Errorf("%q: must be one line (character %d breaks it)", rule, i+1)
	}
	if strings.HasSuffix(rule, `\`) {
		return fmt.Errorf("%q: must not end in a backslash (it continues the line)", rule)
	}
	if err := checkSudoRule(rule); err != nil {
		return fmt.Errorf("%q: %w", rule, err)
	}
	return nil
}

// SudoersFile is the file under /etc/sudoers.d for user: sudo skips names
// that contain '.' or end in '~', so "first.last" becomes "first_last".
func SudoersFile(user string) string {
	return filepath.Join("/etc/sudoers.d", strings.ReplaceAll(user, ".", "_"))
}

// EnsureSudoers writes "<user> <rule>" to the user's sudoers.d file
// (0440 root:root, atomically under a name sudo ignores), or removes a file
// boxinit wrote earlier when rule is "none". It reports whether it changed
// anything.
func EnsureSudoers(root, user, rule string) (bool, error) {
	path := filepath.Join(root, SudoersFile(user))
	if rule == NoSudo {
		old, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		if err != nil || !bytes.HasPrefix(old, []byte(sudoersMarker)) {
			return false, err // not ours: leave it
		}
		return true, os.Remove(path)
	}
	if err := ValidateSudoRule(rule); err != nil {
		return false, fmt.Errorf("DEFAULT_USER_SUDO %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	content := fmt.Sprintf("%s; changes here are overwritten at boot.\n%s %s\n", sudoersMarker, user, rule)
	changed, err := sysfile.Replace(path, []byte(content), sysfile.Options{Mode: 0o440})
	if err != nil {
		return false, fmt.Errorf("write %s: %w", SudoersFile(user), err)
	}
	if err := os.Chmod(path, 0o440); err != nil { // an old file of ours with another mode
		return changed, err
	}
	return changed, os.Chown(path, 0, 0)
}
