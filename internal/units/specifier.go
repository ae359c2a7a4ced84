package units

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Host is what specifiers read from the machine (%H %l %m %b %v %a).
// [Loader] fills it from the root directory; tests set it.
type Host struct {
	Hostname  string
	MachineID string
	BootID    string
	Kernel    string // uname -r
	Arch      string // systemd's name: x86-64, arm64, …
}

// specifiers resolves %-specifiers for one unit, as systemd.unit(5) lists
// them for the system manager (%u, %h, %s, %U, %g, %G are the manager's
// user: root, not User=).
type specifiers struct {
	name     Name
	fragment string // path of the unit file as seen inside the root
	host     Host
}

// expand replaces every specifier in s. An unknown one is an error (systemd
// then ignores the setting); a lone '%' at the end stays.
func (sp *specifiers) expand(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			b.WriteByte('%')
			break
		}
		i++
		v, err := sp.one(s[i])
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

func (sp *specifiers) one(c byte) (string, error) {
	n := sp.name
	switch c {
	case '%':
		return "%", nil
	case 'n':
		return n.Full, nil
	case 'N':
		return strings.TrimSuffix(n.Full, "."+n.Type), nil
	case 'p':
		return n.Prefix, nil
	case 'P':
		return Unescape(n.Prefix)
	case 'i':
		return n.Instance, nil
	case 'I':
		return Unescape(n.Instance)
	case 'j':
		return lastDash(n.Prefix), nil
	case 'J':
		return Unescape(lastDash(n.Prefix))
	case 'f':
		if n.Instance != "" {
			return unescapePath(n.Instance)
		}
		return unescapePath(n.Prefix)
	case 'y':
		return sp.fragment, nil
	case 'Y':
		return filepath.Dir(sp.fragment), nil
	case 'u', 'g':
		return "root", nil
	case 'U', 'G':
		return "0", nil
	case 'h':
		return "/root", nil
	case 's':
		return "/bin/sh", nil
	case 't':
		return "/run", nil
	case 'S':
		return "/var/lib", nil
	case 'C':
		return "/var/cache", nil
	case 'L':
		return "/var/log", nil
	case 'E':
		return "/etc", nil
	case 'T':
		return "/tmp", nil
	case 'V':
		return "/var/tmp", nil
	case 'H':
		return sp.host.Hostname, nil
	case 'l':
		h, _, _ := strings.Cut(sp.host.Hostname, ".")
		return h, nil
	case 'm':
		return sp.need("machine id (/etc/machine-id)", sp.host.MachineID)
	case 'b':
		return sp.need("boot id", sp.host.BootID)
	case 'v':
		return sp.host.Kernel, nil
	case 'a':
		return sp.host.Arch, nil
	}
	return "", fmt.Errorf("specifier %%%c is not supported", c)
}

func (sp *specifiers) need(what, v string) (string, error) {
	if v == "" {
		return "", fmt.Errorf("no %s to expand", what)
	}
	return v, nil
}

// lastDash is %j: the part of the prefix after its last '-'.
func lastDash(prefix string) string {
	if i := strings.LastIndexByte(prefix, '-'); i >= 0 {
		return prefix[i+1:]
	}
	return prefix
}

// HostSpecifiers returns an expander of the specifiers that do not name a
// unit (%H %m %t %S %C %L %T %V %E %h %u %U %g %G %s %v %a %b %%), for
// files that are not units (tmpfiles.d).
func HostSpecifiers(h Host) func(string) (string, error) {
	sp := &specifiers{host: h}
	return func(s string) (string, error) {
		for i := 0; i+1 < len(s); i++ {
			if s[i] == '%' {
				if strings.IndexByte("nNpPiIjJfyY", s[i+1]) >= 0 {
					return "", fmt.Errorf("specifier %%%c names a unit: not allowed here", s[i+1])
				}
				i++
			}
		}
		return sp.expand(s)
	}
}

// ReadHost reads what specifiers take from the machine under root.
func ReadHost(root string) Host { return readHost(root) }
