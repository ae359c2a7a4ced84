package units

import (
	"path"
	"path/filepath"
)

// BootSkip returns the BootOptions.Skip of a boxinit boot: cron.service
// (and the units that alias it) while boxinit runs cron itself, and a
// service whose ExecStart= program is the main command's (ssh.service when
// the container's command is sshd: it runs once, as the main command).
// mainPath is the main command's program as resolved in the container
// (absolute); links under root are followed on both sides, so /sbin/sshd
// on a merged-/usr image is /usr/sbin/sshd.
func BootSkip(root, mainPath string, cronRunning bool) func(*Unit) string {
	realMain := ""
	if mainPath != "" {
		if h, err := resolve(root, mainPath); err == nil {
			realMain = h
		}
	}
	return func(u *Unit) string {
		if cronRunning && (contains(u.Names, "cron.service") || contains(u.Names, "crond.service")) {
			return "boxinit runs cron itself"
		}
		if realMain == "" || u.Service == nil || len(u.Service.ExecStart) == 0 {
			return ""
		}
		p := u.Service.ExecStart[0].Path
		if !path.IsAbs(p) {
			for _, dir := range filepath.SplitList(ExecSearchPath) {
				if h, err := resolve(root, path.Join(dir, p)); err == nil && h == realMain {
					return "the main command runs " + p
				}
			}
			return ""
		}
		if h, err := resolve(root, p); err == nil && h == realMain {
			return "the main command runs " + p
		}
		return ""
	}
}
