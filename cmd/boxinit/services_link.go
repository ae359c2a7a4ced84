package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
)

// imagePath is the PATH of an image's shells (Debian's /etc/profile and
// login.defs for root, and what `kubectl exec` gives): a tool found on none
// of its directories is one the image lacks.
var imagePath = []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}

// linkDir is where boxinit links the tools an image lacks.
const linkDir = "/usr/local/sbin"

// linkTools gives an image without systemd boxinit's systemctl and
// journalctl: for each that is on none of imagePath's directories under
// root, a link root/usr/local/sbin/NAME -> self. Only when every directory
// of that path is a real directory (no symlink) owned by root and writable
// by root alone, so that nothing a user controls decides where root writes;
// an existing file is never replaced (symlink(2) does not overwrite).
func linkTools(root, self string, log *slog.Logger) {
	for _, tool := range []string{"systemctl", "journalctl"} {
		if onImagePath(root, tool) {
			continue
		}
		dir, err := rootOwnedDir(root, linkDir)
		if err != nil {
			log.Info("services: no "+tool+" in the image and no link made", "reason", err)
			return
		}
		if err := os.Symlink(self, filepath.Join(dir, tool)); err != nil {
			log.Warn("services: cannot link "+tool, "err", err)
			continue
		}
		log.Info("services: linked " + filepath.Join(linkDir, tool) + " to boxinit (the image has no " + tool + ")")
	}
	linkInit(root, self, log)
}

// linkInit makes /sbin/init boxinit when the image has no /sbin/init:
// invoke-rc.d refuses to start an init script's service when /sbin/init
// is missing ("No init system and policy-rc.d missing! Defaulting to
// block"), even with /run/systemd/system. Where /sbin is Debian's
// merged-/usr link to usr/sbin, the link goes in /usr/sbin, under the same
// root-only rules as above. Called as init, boxinit is PID 1 as usual, or
// says that it already runs (calledAsInit).
func linkInit(root, self string, log *slog.Logger) {
	if _, err := os.Lstat(filepath.Join(root, "sbin/init")); err == nil {
		return
	}
	dir := "/sbin"
	if target, err := os.Readlink(filepath.Join(root, "sbin")); err == nil {
		if filepath.Clean(target) != "usr/sbin" && filepath.Clean(target) != "/usr/sbin" {
			log.Info("services: no /sbin/init in the image and no link made", "reason", "/sbin links to "+target)
			return
		}
		dir = "/usr/sbin"
	}
	host, err := rootOwnedDir(root, dir)
	if err != nil {
		log.Info("services: no /sbin/init in the image and no link made", "reason", err)
		return
	}
	if err := os.Symlink(self, filepath.Join(host, "init")); err != nil {
		log.Warn("services: cannot link /sbin/init", "err", err)
		return
	}
	log.Info("services: linked " + dir + "/init to boxinit (the image has no /sbin/init: invoke-rc.d starts init scripts' services only with one)")
}

// calledAsInit reports whether argv[0] names init (the /sbin/init link)
// while this same binary already runs as PID 1: the system's init runs.
// Called as init in any other case (an image's ENTRYPOINT ["/sbin/init"]
// under another init), boxinit is boxinit.
func calledAsInit(argv0 string) bool {
	return filepath.Base(argv0) == "init" && os.Getpid() != 1 && samePID1(procSelfExe, "/proc/1/exe")
}

const procSelfExe = "/proc/self/exe"

// samePID1 reports whether the two executables are one file (PID 1's is
// unreadable when it is not ours to see: then it is not known to be).
func samePID1(self, pid1 string) bool {
	a, err := os.Stat(self)
	if err != nil {
		return false
	}
	b, err := os.Stat(pid1)
	return err == nil && os.SameFile(a, b)
}

// runInitLink answers `init --version` and refuses anything else: this
// system's init is the boxinit that runs as PID 1.
func runInitLink(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && args[0] == "--version" {
		fmt.Fprintf(stdout, "boxinit %s (init)\n", versionString())
		return 0
	}
	fmt.Fprintln(stderr, "init: this system's init is boxinit, running as PID 1 (see `boxinit status`); nothing was started")
	return exitUsage
}

func onImagePath(root, tool string) bool {
	for _, d := range imagePath {
		if _, err := os.Lstat(filepath.Join(root, d, tool)); err == nil {
			return true
		}
	}
	return false
}

// rootOwnedDir checks every directory from root down to root/dir: real
// directories, owned by uid 0, not writable by group or others.
func rootOwnedDir(root, dir string) (string, error) {
	p := root
	rel := filepath.Clean("/" + dir)
	for _, c := range append([]string{""}, splitPath(rel)...) {
		p = filepath.Join(p, c)
		fi, err := os.Lstat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("%s does not exist", p)
			}
			return "", err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		switch {
		case !fi.IsDir():
			return "", fmt.Errorf("%s is not a directory (a symlink?)", p)
		case !ok || st.Uid != 0:
			return "", fmt.Errorf("%s is not root's", p)
		case fi.Mode().Perm()&0o022 != 0:
			return "", fmt.Errorf("%s is writable by others than root (%v)", p, fi.Mode().Perm())
		}
	}
	return p, nil
}

// splitPath splits "/usr/local/sbin" into usr, local, sbin.
func splitPath(p string) []string {
	var out []string
	for p != "/" && p != "." && p != "" {
		out = append([]string{filepath.Base(p)}, out...)
		p = filepath.Dir(p)
	}
	return out
}
