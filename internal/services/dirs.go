package services

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/boxinit/boxinit/internal/units"
	"github.com/boxinit/boxinit/internal/users"
)

// dirVars are the variables systemd sets for each directory setting.
var dirVars = map[units.DirKind]string{
	units.RuntimeDir: "RUNTIME_DIRECTORY", units.StateDir: "STATE_DIRECTORY", units.CacheDir: "CACHE_DIRECTORY",
	units.LogsDir: "LOGS_DIRECTORY", units.ConfigDir: "CONFIGURATION_DIRECTORY",
}

// makeDirectories creates RuntimeDirectory= and its kin under root before
// a start, as systemd.exec(5) says: missing parents root's 0755, the
// directory itself with its *Mode= and owned by the service's user (the
// configuration directory stays root's). A symlink in their place is
// refused: the unit's user may control it. It returns the variables
// (RUNTIME_DIRECTORY=…) to set.
func makeDirectories(root string, s *units.Service, id users.Identity) (map[string]string, error) {
	vars := map[string]string{}
	for _, kind := range []units.DirKind{units.RuntimeDir, units.StateDir, units.CacheDir, units.LogsDir, units.ConfigDir} {
		var made []string
		for _, d := range s.Directories[kind] {
			p := path.Join(string(kind), d)
			if err := makeDir(root, p, s.Mode(kind), id, kind != units.ConfigDir); err != nil {
				return nil, fmt.Errorf("%sDirectory=%s: %w", dirSetting(kind), d, err)
			}
			made = append(made, filepath.Join(root, p)) // as the process sees it: boxinit does not chroot
		}
		if len(made) > 0 {
			vars[dirVars[kind]] = strings.Join(made, ":")
		}
	}
	return vars, nil
}

func dirSetting(k units.DirKind) string {
	return map[units.DirKind]string{units.RuntimeDir: "Runtime", units.StateDir: "State", units.CacheDir: "Cache",
		units.LogsDir: "Logs", units.ConfigDir: "Configuration"}[k]
}

// removeRuntimeDirectories removes RuntimeDirectory= after a stop.
func removeRuntimeDirectories(root string, s *units.Service) error {
	var errs []error
	for _, d := range s.Directories[units.RuntimeDir] {
		errs = append(errs, os.RemoveAll(filepath.Join(root, "run", d)))
	}
	return errors.Join(errs...)
}
