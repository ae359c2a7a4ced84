package services

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/reaper"
	"github.com/boxinit/boxinit/internal/units"
)

// StatusText renders a service as `systemctl status` shows it (systemd
// 252's layout, without the cgroup's memory and CPU lines): the state
// bullet, Loaded:, Drop-In:, Active: with its age, Docs:, Main PID:, the
// unit's processes, and the last lines it printed. It also returns
// systemctl's exit code: 0 active, 3 not active.
func (m *Manager) StatusText(name string, now time.Time) (string, int, error) {
	s, err := m.service(name)
	if err != nil {
		return "", 4, err
	}
	st := s.snapshot()
	m.loadMu.Lock()
	enabled, _ := m.loader.EnabledState(s.unit.Name)
	m.loadMu.Unlock()
	var procs []string
	for _, pid := range s.processes() {
		procs = append(procs, fmt.Sprintf("%d %s", pid, cmdline(m.o.ProcDir, pid)))
	}
	comm := ""
	if b, err := os.ReadFile(filepath.Join(m.o.ProcDir, strconv.Itoa(st.MainPID), "comm")); err == nil && st.MainPID > 0 {
		comm = strings.TrimSpace(string(b))
	}
	text := renderStatus(st, s.unit, enabled, now, comm, procs)
	code := 3
	if st.ActiveState == Active || st.ActiveState == Reloading {
		code = 0
	}
	return text, code, nil
}

func cmdline(procDir string, pid int) string {
	b, err := os.ReadFile(filepath.Join(procDir, strconv.Itoa(pid), "cmdline"))
	if err != nil || len(b) == 0 {
		return ""
	}
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

func renderStatus(st Status, u *units.Unit, enabled string, now time.Time, mainComm string, procs []string) string {
	var b strings.Builder
	bullet := map[string]string{Active: "●", Reloading: "●", Activating: "●", Deactivating: "●", Failed: "×"}[st.ActiveState]
	if bullet == "" {
		bullet = "○"
	}
	fmt.Fprintf(&b, "%s %s", bullet, st.Name)
	if st.Description != "" {
		fmt.Fprintf(&b, " - %s", st.Description)
	}
	b.WriteString("\n")
	if enabled == "" {
		enabled = "static"
	}
	fmt.Fprintf(&b, "     Loaded: loaded (%s; %s)\n", u.Fragment, enabled)
	if len(u.DropIns) > 0 {
		byDir := map[string][]string{}
		var dirs []string
		for _, d := range u.DropIns {
			dir := filepath.Dir(d)
			if _, ok := byDir[dir]; !ok {
				dirs = append(dirs, dir)
			}
			byDir[dir] = append(byDir[dir], filepath.Base(d))
		}
		for i, dir := range dirs {
			label := "    Drop-In: "
			if i > 0 {
				label = "             "
			}
			fmt.Fprintf(&b, "%s%s\n             └─%s\n", label, dir, strings.Join(byDir[dir], ", "))
		}
	}
	active := st.ActiveState + " (" + st.SubState + ")"
	if st.ActiveState == Failed {
		active = "failed (Result: " + st.Result + ")"
	}
	fmt.Fprintf(&b, "     Active: %s since %s; %s ago\n", active, st.Since.Format("Mon 2006-01-02 15:04:05 MST"), age(now.Sub(st.Since)))
	if st.Condition != "" && st.ActiveState != Active {
		fmt.Fprintf(&b, "  Condition: start condition unmet: %s\n", st.Condition)
	}
	if len(u.Documentation) > 0 {
		fmt.Fprintf(&b, "       Docs: %s\n", strings.Join(u.Documentation, "\n             "))
	}
	switch {
	case st.MainPID > 0:
		fmt.Fprintf(&b, "   Main PID: %d (%s)\n", st.MainPID, mainComm)
	case st.LastExit != nil:
		fmt.Fprintf(&b, "   Main PID: (%s)\n", exitText(*st.LastExit))
	}
	if st.Notify != "" {
		fmt.Fprintf(&b, "     Status: %q\n", st.Notify)
	}
	if st.Restarts > 0 {
		fmt.Fprintf(&b, "   Restarts: %d\n", st.Restarts)
	}
	for i, p := range procs {
		label := "  Processes: "
		if i > 0 {
			label = "             "
		}
		fmt.Fprintf(&b, "%s%s\n", label, p)
	}
	if len(st.Log) > 0 {
		b.WriteString("\n")
		for _, l := range st.Log {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// exitText is systemctl's "code=exited, status=1/FAILURE".
func exitText(e Exit) string {
	switch {
	case !e.Known:
		return "code=exited, status=unknown"
	case e.Signal != 0:
		return "code=killed, signal=" + strings.TrimPrefix(reaper.SignalName(unix.Signal(e.Signal)), "SIG")
	case e.Code == 0:
		return "code=exited, status=0/SUCCESS"
	}
	return fmt.Sprintf("code=exited, status=%d/FAILURE", e.Code)
}

// age is systemd's short relative time: "5s", "3min 20s", "2h 5min", "3 days".
func age(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dmin %ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %dmin", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
