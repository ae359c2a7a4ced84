package main

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// The /run/systemd/system marker. Debian's maintainer scripts
// (deb-systemd-invoke, invoke-rc.d, dh_installsystemd's postinst) and
// libsystemd's sd_booted() read "systemd manages this system" from it:
// with it, `apt-get install nginx` reloads the units and starts
// nginx.service through systemctl, `apt-get remove` stops it, and the
// cron.d twins of timers (e2scrub_all, sysstat, php's sessionclean) skip
// themselves because a timer does their work. boxinit presents exactly
// that while it runs the units as PID 1: the marker is made when the
// services start (after boot, so a package installed by a boot hook is
// not started twice: the boot plan starts it once), and an empty one left
// by an earlier run is removed when PID 1 starts with services (a
// container restarted with its old /run). Limit: a container restarted
// with its old /run and now --services=false keeps a stale marker (its
// cron.d twins then skip); runtimes give a new container a fresh /run.

// markerDir is the directory Debian's scripts test for "systemd runs".
const markerDir = "/run/systemd/system"

// clearSystemdMarker removes a marker left by an earlier run under root.
// Only an empty directory is removed: units placed there at runtime stay,
// and so does the marker then (logged).
func clearSystemdMarker(root string, log *slog.Logger) {
	err := os.Remove(filepath.Join(root, markerDir))
	switch {
	case err == nil:
		log.Debug("services: removed the " + markerDir + " marker of an earlier run")
	case errors.Is(err, fs.ErrNotExist):
	default:
		log.Warn("services: cannot remove "+markerDir+" (left by an earlier run): Debian's cron.d twins of timers will skip themselves", "err", err)
	}
}

// makeSystemdMarker creates root/run/systemd/system, only inside
// directories that are root's and writable by root alone (nothing a user
// made can redirect it).
func makeSystemdMarker(root string, log *slog.Logger) {
	err := mkdirRootOwned(root, filepath.Dir(markerDir))
	if err == nil {
		err = mkdirRootOwned(root, markerDir)
	}
	if err != nil {
		log.Warn("services: no "+markerDir+" marker: packages installed now are enabled but not started, and cron.d twins of timers run", "reason", err)
	}
}

// mkdirRootOwned makes root/dir (mode 0755) when its parent passes
// rootOwnedDir, then checks the result the same way.
func mkdirRootOwned(root, dir string) error {
	parent, err := rootOwnedDir(root, filepath.Dir(dir))
	if err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(parent, filepath.Base(dir)), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	_, err = rootOwnedDir(root, dir)
	return err
}

// hasSystemdMarker reports whether root/run/systemd/system is a directory.
func hasSystemdMarker(root string) bool {
	fi, err := os.Stat(filepath.Join(root, markerDir))
	return err == nil && fi.IsDir()
}
