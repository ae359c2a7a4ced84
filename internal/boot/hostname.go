package boot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/sysfile"
)

// sethostname is the syscall; tests replace it.
var sethostname = unix.Sethostname

// hostname writes /etc/hostname and the 127.0.1.1 line of /etc/hosts, and
// sets the kernel's hostname where permitted. Both files are bind mounts in
// Docker and Kubernetes: sysfile rewrites them in place when rename fails.
func (b *Boot) hostname(context.Context) (Outcome, string, error) {
	name := b.cfg.Hostname
	if name == "" {
		return Skipped, "SET_HOSTNAME is not set", nil
	}
	changed, err := sysfile.Replace(b.cfg.path("/etc/hostname"), []byte(name+"\n"), sysfile.Options{Mode: 0o644})
	if err != nil {
		return fail(fmt.Errorf("write /etc/hostname: %w", err))
	}
	hostsPath := b.cfg.path("/etc/hosts")
	old, err := os.ReadFile(hostsPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fail(fmt.Errorf("read /etc/hosts: %w", err))
	}
	c, err := sysfile.Replace(hostsPath, []byte(setHostsLine(string(old), name)), sysfile.Options{Mode: 0o644})
	if err != nil {
		return fail(fmt.Errorf("write /etc/hosts: %w", err))
	}
	changed = changed || c

	if b.cfg.Root != "/" {
		return outcome(changed), "kernel hostname left alone: --root is not /", nil
	}
	return setKernelHostname(name, changed)
}

// setKernelHostname calls sethostname(2) unless the name is already set.
func setKernelHostname(name string, filesChanged bool) (Outcome, string, error) {
	var uts unix.Utsname
	if unix.Uname(&uts) == nil && unix.ByteSliceToString(uts.Nodename[:]) == name {
		return outcome(filesChanged), "", nil
	}
	if err := sethostname([]byte(name)); err != nil {
		if errors.Is(err, unix.EPERM) {
			return Warning, "sethostname: not permitted without CAP_SYS_ADMIN (normal in Kubernetes); /etc/hostname and /etc/hosts are set", nil
		}
		return fail(fmt.Errorf("sethostname: %w", err))
	}
	return Changed, "", nil
}

func outcome(changed bool) Outcome {
	if changed {
		return Changed
	}
	return OK
}

// setHostsLine leaves exactly one "127.0.1.1 NAME" line in hosts: the first
// 127.0.1.1 line is replaced in place (or kept if it already names only
// NAME), further ones are dropped, and the line is appended when there was
// none. Every other line stays as it was.
func setHostsLine(hosts, name string) string {
	want := "127.0.1.1\t" + name
	var out []string
	done := false
	lines := strings.Split(strings.TrimSuffix(hosts, "\n"), "\n")
	if hosts == "" {
		lines = nil
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 || f[0] != "127.0.1.1" {
			out = append(out, l)
			continue
		}
		if done {
			continue
		}
		done = true
		if len(f) == 2 && f[1] == name {
			out = append(out, l)
		} else {
			out = append(out, want)
		}
	}
	if !done {
		out = append(out, want)
	}
	return strings.Join(out, "\n") + "\n"
}
