package units

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Facts are what conditions test besides files: read once by [ReadFacts]
// at boot; tests fill them.
type Facts struct {
	Root           string
	CapBnd         uint64 // the bounding set of boxinit (CapBnd in /proc/self/status)
	Virtualization string // systemd-detect-virt's id: docker, podman, lxc, container-other, …
	Hostname       string
	MachineID      string
	KernelCmdline  string
	Environ        []string // boxinit's environment (ConditionEnvironment=)
}

// ReadFacts reads the facts from the running system and root.
func ReadFacts(root string) Facts {
	f := Facts{Root: root, Virtualization: detectContainer(root), Environ: os.Environ()}
	h := readHost(root)
	f.Hostname, f.MachineID = h.Hostname, h.MachineID
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "CapBnd:"); ok {
				f.CapBnd, _ = strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			}
		}
	}
	if b, err := os.ReadFile("/proc/cmdline"); err == nil {
		f.KernelCmdline = strings.TrimSpace(string(b))
	}
	return f
}

// detectContainer names the container runtime as systemd-detect-virt
// does: $container of PID 1, /run/.containerenv (podman), /.dockerenv
// (docker). boxinit runs in a container by design: when nothing says which,
// it is "container-other".
func detectContainer(root string) string {
	if b, err := os.ReadFile("/proc/1/environ"); err == nil {
		for _, kv := range strings.Split(string(b), "\x00") {
			if v, ok := strings.CutPrefix(kv, "container="); ok && v != "" {
				if v == "oci" {
					break // what runc sets: say nothing of the runtime
				}
				return v
			}
		}
	}
	if _, err := os.Stat(filepath.Join(root, "run/.containerenv")); err == nil {
		return "podman"
	}
	if _, err := os.Stat(filepath.Join(root, ".dockerenv")); err == nil {
		return "docker"
	}
	return "container-other"
}

// ConditionResult says whether a unit may start.
type ConditionResult struct {
	// Failed is the Condition*= that did not hold (the unit is skipped, not
	// failed), or nil.
	Failed *Condition
	// AssertFailed is the Assert*= that did not hold (the unit fails), or nil.
	AssertFailed *Condition
	// Unsupported lists conditions boxinit cannot test; they count as met.
	Unsupported []Condition
}

// CheckConditions tests the unit's Condition*= and Assert*= settings as
// systemd does: every condition without '|' must hold; of those with '|',
// at least one must (when there are any); '!' negates. Asserts are tested
// the same way, after the conditions.
func (u *Unit) CheckConditions(f Facts) ConditionResult {
	var res ConditionResult
	for _, assert := range []bool{false, true} {
		var triggers, triggered bool
		var firstTrigger *Condition
		for i := range u.Conditions {
			c := &u.Conditions[i]
			if c.Assert != assert {
				continue
			}
			ok, err := testCondition(*c, f)
			if errors.Is(err, errUnsupportedCondition) {
				res.Unsupported = append(res.Unsupported, *c)
				ok = !c.Negate // counts as met
			}
			if c.Negate {
				ok = !ok
			}
			if c.Trigger {
				triggers = true
				triggered = triggered || ok
				if firstTrigger == nil {
					firstTrigger = c
				}
				continue
			}
			if !ok {
				if assert {
					res.AssertFailed = c
				} else {
					res.Failed = c
				}
				return res
			}
		}
		if triggers && !triggered {
			if assert {
				res.AssertFailed = firstTrigger
			} else {
				res.Failed = firstTrigger
			}
			return res
		}
	}
	return res
}

// String shows a condition as written: ConditionPathExists=!/x.
func (c Condition) String() string {
	kind := "Condition"
	if c.Assert {
		kind = "Assert"
	}
	p := c.Param
	if c.Negate {
		p = "!" + p
	}
	if c.Trigger {
		p = "|" + p
	}
	return kind + c.Kind + "=" + p
}

var errUnsupportedCondition = errors.New("condition not supported")

func testCondition(c Condition, f Facts) (bool, error) {
	host := func() string {
		h, err := resolve(f.Root, c.Param)
		if err != nil {
			return filepath.Join(f.Root, c.Param)
		}
		return h
	}
	switch c.Kind {
	case "PathExists":
		_, err := os.Stat(host())
		return err == nil, nil
	case "PathExistsGlob":
		m, _ := filepath.Glob(host())
		return len(m) > 0, nil
	case "PathIsDirectory":
		fi, err := os.Stat(host())
		return err == nil && fi.IsDir(), nil
	case "PathIsSymbolicLink":
		h, err := resolveN(f.Root, c.Param, false)
		if err != nil {
			return false, nil
		}
		fi, err := os.Lstat(h)
		return err == nil && fi.Mode()&fs.ModeSymlink != 0, nil
	case "PathIsReadWrite":
		var st unix.Statfs_t
		if err := unix.Statfs(host(), &st); err != nil {
			return false, nil
		}
		return st.Flags&unix.ST_RDONLY == 0, nil
	case "DirectoryNotEmpty":
		des, err := os.ReadDir(host())
		if err != nil {
			return false, nil
		}
		for _, de := range des {
			if !strings.HasPrefix(de.Name(), ".") {
				return true, nil
			}
		}
		return false, nil
	case "FileNotEmpty":
		fi, err := os.Stat(host())
		return err == nil && fi.Mode().IsRegular() && fi.Size() > 0, nil
	case "FileIsExecutable":
		fi, err := os.Stat(host())
		return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0, nil
	case "Capability":
		n, ok := capabilities[strings.ToUpper(c.Param)]
		if !ok {
			return false, fmt.Errorf("unknown capability %q", c.Param)
		}
		return f.CapBnd&(1<<n) != 0, nil
	case "Virtualization":
		return testVirtualization(c.Param, f.Virtualization), nil
	case "Environment":
		for _, kv := range f.Environ {
			if kv == c.Param || (!strings.Contains(c.Param, "=") && strings.HasPrefix(kv, c.Param+"=")) {
				return true, nil
			}
		}
		return false, nil
	case "Host":
		return c.Param == f.Hostname || (f.MachineID != "" && c.Param == f.MachineID), nil
	case "KernelCommandLine":
		for _, w := range strings.Fields(f.KernelCmdline) {
			if w == c.Param || (!strings.Contains(c.Param, "=") && strings.HasPrefix(w, c.Param+"=")) {
				return true, nil
			}
		}
		return false, nil
	case "Architecture":
		return c.Param == archName(runtime.GOARCH) || c.Param == "native", nil
	case "FirstBoot", "NeedsUpdate":
		var want bool
		if err := parseBool(&want, c.Param); err != nil {
			return false, err
		}
		return !want, nil // a container's image is never being set up or updated by systemd
	case "User", "Group":
		// boxinit, which tests them, is root: a name, a number or @system.
		return c.Param == "root" || c.Param == "0" || c.Param == "@system", nil
	}
	return false, errUnsupportedCondition
}

// testVirtualization answers ConditionVirtualization= for a container.
func testVirtualization(p, id string) bool {
	var b bool
	if parseBool(&b, p) == nil {
		return b
	}
	switch p {
	case "container":
		return true
	case "vm":
		return false
	}
	return p == id
}

var capabilities = map[string]uint{
	"CAP_CHOWN": unix.CAP_CHOWN, "CAP_DAC_OVERRIDE": unix.CAP_DAC_OVERRIDE, "CAP_DAC_READ_SEARCH": unix.CAP_DAC_READ_SEARCH,
	"CAP_FOWNER": unix.CAP_FOWNER, "CAP_FSETID": unix.CAP_FSETID, "CAP_KILL": unix.CAP_KILL, "CAP_SETGID": unix.CAP_SETGID,
	"CAP_SETUID": unix.CAP_SETUID, "CAP_SETPCAP": unix.CAP_SETPCAP, "CAP_LINUX_IMMUTABLE": unix.CAP_LINUX_IMMUTABLE,
	"CAP_NET_BIND_SERVICE": unix.CAP_NET_BIND_SERVICE, "CAP_NET_BROADCAST": unix.CAP_NET_BROADCAST,
	"CAP_NET_ADMIN": unix.CAP_NET_ADMIN, "CAP_NET_RAW": unix.CAP_NET_RAW, "CAP_IPC_LOCK": unix.CAP_IPC_LOCK,
	"CAP_IPC_OWNER": unix.CAP_IPC_OWNER, "CAP_SYS_MODULE": unix.CAP_SYS_MODULE, "CAP_SYS_RAWIO": unix.CAP_SYS_RAWIO,
	"CAP_SYS_CHROOT": unix.CAP_SYS_CHROOT, "CAP_SYS_PTRACE": unix.CAP_SYS_PTRACE, "CAP_SYS_PACCT": unix.CAP_SYS_PACCT,
	"CAP_SYS_ADMIN": unix.CAP_SYS_ADMIN, "CAP_SYS_BOOT": unix.CAP_SYS_BOOT, "CAP_SYS_NICE": unix.CAP_SYS_NICE,
	"CAP_SYS_RESOURCE": unix.CAP_SYS_RESOURCE, "CAP_SYS_TIME": unix.CAP_SYS_TIME, "CAP_SYS_TTY_CONFIG": unix.CAP_SYS_TTY_CONFIG,
	"CAP_MKNOD": unix.CAP_MKNOD, "CAP_LEASE": unix.CAP_LEASE, "CAP_AUDIT_WRITE": unix.CAP_AUDIT_WRITE,
	"CAP_AUDIT_CONTROL": unix.CAP_AUDIT_CONTROL, "CAP_SETFCAP": unix.CAP_SETFCAP, "CAP_MAC_OVERRIDE": unix.CAP_MAC_OVERRIDE,
	"CAP_MAC_ADMIN": unix.CAP_MAC_ADMIN, "CAP_SYSLOG": unix.CAP_SYSLOG, "CAP_WAKE_ALARM": unix.CAP_WAKE_ALARM,
	"CAP_BLOCK_SUSPEND": unix.CAP_BLOCK_SUSPEND, "CAP_AUDIT_READ": unix.CAP_AUDIT_READ, "CAP_PERFMON": unix.CAP_PERFMON,
	"CAP_BPF": unix.CAP_BPF, "CAP_CHECKPOINT_RESTORE": unix.CAP_CHECKPOINT_RESTORE,
}

// ExecArch is systemd's name of the machine's architecture
// ($SYSTEMD_ARCHITECTURE, ConditionArchitecture=).
func ExecArch() string { return archName(runtime.GOARCH) }
