package units

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// SysV init scripts, as systemd-sysv-generator(8) presents them: an
// executable /etc/init.d/NAME with no native NAME.service becomes a
// generated NAME.service (Type=forking, RemainAfterExit=yes, ExecStart=
// "/etc/init.d/NAME start", …), wanted by multi-user.target when
// /etc/rc[234].d has an S link to it and by graphical.target for rc5.d,
// with its LSB header's Provides: as aliases and its facilities as
// ordering. Without it a package that ships only an init script would
// fail its postinst where /run/systemd/system exists: invoke-rc.d then
// asks systemctl to start NAME.service. The unit text and the facility
// table follow what systemd 252's generator writes on Debian 12 (checked
// by running it on the same scripts; testdata/units/sysv).

// sysvFacilities maps an LSB facility to the targets it is ordered after
// (and wants, for those systemd's generator pulls in).
var sysvFacilities = map[string]struct{ after, wants string }{
	"$local_fs":  {},
	"$network":   {"network-online.target", "network-online.target"},
	"$named":     {"nss-lookup.target", "nss-lookup.target"},
	"$portmap":   {"rpcbind.target", "rpcbind.target"},
	"$remote_fs": {"remote-fs.target", ""},
	"$syslog":    {},
	"$time":      {"time-sync.target", ""},
}

// sysvRunlevels are the rc directories the generator reads, with the
// target an S link there makes the script wanted by.
var sysvRunlevels = []struct{ dir, target string }{
	{"/etc/rc2.d", "multi-user.target"}, {"/etc/rc3.d", "multi-user.target"},
	{"/etc/rc4.d", "multi-user.target"}, {"/etc/rc5.d", "graphical.target"},
}

// GenerateSysV writes the units of root's init scripts that have no native
// unit into outDir (a host path, the generator.late directory) and
// returns their names.
func GenerateSysV(root, outDir string) ([]string, error) {
	l, err := NewLoader(root)
	if err != nil {
		return nil, err
	}
	native := map[string]bool{}
	for _, n := range l.Names() {
		native[n] = true
	}
	des, err := os.ReadDir(filepath.Join(root, "/etc/init.d"))
	if err != nil {
		return nil, nil // no init scripts
	}
	var made []string
	for _, de := range des {
		script := "/etc/init.d/" + de.Name()
		name := strings.TrimSuffix(de.Name(), ".sh") + ".service"
		if _, err := ParseName(name); err != nil || native[name] || hiddenOrBackup(de.Name()) {
			continue // not a unit name (a newline in it would write unit lines), a native unit, a leftover
		}
		fi, err := os.Stat(filepath.Join(root, script))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 || fi.Size() > 1<<20 {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, script))
		if err != nil {
			continue
		}
		text, provides, wanted := sysvUnit(root, script, de.Name(), data)
		if err := os.WriteFile(filepath.Join(outDir, name), []byte(text), 0o644); err != nil {
			return made, fmt.Errorf("sysv: %w", err)
		}
		made = append(made, name)
		for _, p := range provides {
			alias := p + ".service"
			if _, err := ParseName(alias); err != nil || alias == name || native[alias] {
				continue
			}
			_ = os.Symlink(name, filepath.Join(outDir, alias))
		}
		for _, target := range wanted {
			dir := filepath.Join(outDir, target+".wants")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return made, fmt.Errorf("sysv: %w", err)
			}
			_ = os.Symlink("../"+name, filepath.Join(dir, name))
		}
	}
	return made, nil
}

// hiddenOrBackup is systemd's test for files it never reads as units or
// scripts: dot files and package managers' leftovers.
func hiddenOrBackup(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
		return true
	}
	for _, s := range []string{".rpmnew", ".rpmsave", ".rpmorig", ".dpkg-old", ".dpkg-new", ".dpkg-tmp",
		".dpkg-dist", ".dpkg-bak", ".dpkg-backup", ".dpkg-remove", ".ucf-new", ".ucf-old", ".ucf-dist", ".swp", ".bak", ".old", ".new"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// sysvUnit builds the unit text of one script, the names its header
// provides and the targets that want it.
func sysvUnit(root, script, base string, data []byte) (text string, provides, wanted []string) {
	var (
		desc, shortDesc     string
		after, wants        []string
		reload, inHeader    bool
		requires, suggested []string
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if usageHasReload(line) {
			reload = true
		}
		t := strings.TrimSpace(line)
		switch {
		case t == "### BEGIN INIT INFO":
			inHeader = true
			continue
		case t == "### END INIT INFO":
			inHeader = false
			continue
		case !inHeader || !strings.HasPrefix(t, "#"):
			continue
		}
		key, value, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(t, "#")), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		switch strings.ToLower(key) {
		case "provides":
			for _, f := range fields {
				if f != base && f != strings.TrimSuffix(base, ".sh") && !slices.Contains(provides, f) {
					provides = append(provides, f)
				}
			}
		case "required-start":
			requires = append(requires, fields...)
		case "should-start":
			suggested = append(suggested, fields...)
		case "short-description":
			shortDesc = strings.TrimSpace(value)
		case "description":
			if desc == "" {
				desc = strings.TrimSpace(value)
			}
		}
	}
	for _, f := range append(requires, suggested...) {
		if fac, ok := sysvFacilities[f]; ok {
			if fac.after != "" && !slices.Contains(after, fac.after) {
				after = append(after, fac.after)
			}
			if fac.wants != "" && !slices.Contains(wants, fac.wants) {
				wants = append(wants, fac.wants)
			}
			continue
		}
		if strings.HasPrefix(f, "$") {
			continue // $all and unknown facilities
		}
		if u := strings.TrimSuffix(f, ".sh") + ".service"; !slices.Contains(after, u) {
			after = append(after, u)
		}
	}
	name := strings.TrimSuffix(base, ".sh")
	for _, rl := range sysvRunlevels {
		links, _ := filepath.Glob(filepath.Join(root, rl.dir, "S[0-9][0-9]"+base))
		if len(links) > 0 && !slices.Contains(wanted, rl.target) {
			wanted = append(wanted, rl.target)
		}
	}
	sort.Strings(wanted)
	var b strings.Builder
	b.WriteString("# Automatically generated by boxinit from a SysV init script (as systemd-sysv-generator)\n\n[Unit]\n")
	b.WriteString("Documentation=man:systemd-sysv-generator(8)\n")
	fmt.Fprintf(&b, "SourcePath=%s\n", script)
	switch {
	case shortDesc != "":
		fmt.Fprintf(&b, "Description=LSB: %s\n", shortDesc)
	case desc != "":
		fmt.Fprintf(&b, "Description=LSB: %s\n", desc)
	default:
		fmt.Fprintf(&b, "Description=LSB: %s\n", name)
	}
	for _, t := range wanted {
		fmt.Fprintf(&b, "Before=%s\n", t)
	}
	for _, a := range after {
		fmt.Fprintf(&b, "After=%s\n", a)
	}
	for _, w := range wants {
		fmt.Fprintf(&b, "Wants=%s\n", w)
	}
	b.WriteString("\n[Service]\nType=forking\nRestart=no\nTimeoutSec=5min\nIgnoreSIGPIPE=no\nKillMode=process\n")
	b.WriteString("GuessMainPID=no\nRemainAfterExit=yes\nSuccessExitStatus=5 6\n")
	fmt.Fprintf(&b, "ExecStart=%s start\nExecStop=%s stop\n", script, script)
	if reload {
		fmt.Fprintf(&b, "ExecReload=%s reload\n", script)
	}
	return b.String(), provides, wanted
}

// usageHasReload is the generator's test for a script that can reload: a
// usage text listing reload among its actions.
func usageHasReload(line string) bool {
	l := strings.ToLower(line)
	for _, p := range []string{"{reload|", "{reload}", "{reload\"", "|reload|", "|reload}", "|reload\""} {
		if strings.Contains(l, p) {
			return true
		}
	}
	return false
}
