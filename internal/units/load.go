package units

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// ErrNotFound means no directory of the search path has the unit.
var ErrNotFound = errors.New("unit not found")

// entry is what the search path holds under one name.
type entry struct {
	name   string
	dir    string // the search directory, inside root
	host   string // the file, resolved inside root
	alias  string // for a symlink to a unit of another name: that name
	masked bool
}

// Loader finds and loads units under a root directory.
type Loader struct {
	Root string
	Host Host
	Dirs []string // the search path, inside Root

	index   map[string]*entry   // first entry of each name
	aliases map[string][]string // unit → the names that are symlinks to it
	// subdirs holds, for each search directory, its NAME.d, NAME.wants,
	// NAME.requires and NAME.upholds directories (host paths): only those
	// are read, instead of trying every name in every directory.
	subdirs map[string]map[string]string
	cache   map[string]*Unit
}

// NewLoader indexes the unit directories of the search path under root.
// Host facts for specifiers are read from root (/etc/hostname,
// /etc/machine-id) and from the running kernel.
func NewLoader(root string) (*Loader, error) {
	l := &Loader{Root: root, Dirs: SearchPath, Host: readHost(root)}
	if err := l.reindex(); err != nil {
		return nil, err
	}
	return l, nil
}

func readHost(root string) Host {
	h := Host{Arch: archName(runtime.GOARCH)}
	if b, err := os.ReadFile(filepath.Join(root, "etc/hostname")); err == nil {
		h.Hostname = strings.TrimSpace(string(b))
	}
	if h.Hostname == "" {
		h.Hostname, _ = os.Hostname()
	}
	if b, err := os.ReadFile(filepath.Join(root, "etc/machine-id")); err == nil {
		h.MachineID = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
		h.BootID = strings.ReplaceAll(strings.TrimSpace(string(b)), "-", "")
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		h.Kernel = strings.TrimSpace(string(b))
	}
	return h
}

func archName(goarch string) string {
	switch goarch {
	case "amd64":
		return "x86-64"
	case "386":
		return "x86"
	}
	return goarch
}

// reindex lists every unit directory again (daemon-reload).
func (l *Loader) reindex() error {
	l.index, l.aliases, l.cache = map[string]*entry{}, map[string][]string{}, map[string]*Unit{}
	l.subdirs = map[string]map[string]string{}
	for _, dir := range l.Dirs {
		hostDir, err := resolve(l.Root, dir)
		if err != nil {
			return err
		}
		des, err := os.ReadDir(hostDir)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read unit directory %s: %w", dir, err)
		}
		for _, de := range des {
			name := de.Name()
			if _, seen := l.index[name]; seen {
				continue
			}
			if _, err := ParseName(name); err != nil {
				if isUnitSubdir(name) {
					if host, err := resolve(l.Root, path.Join(dir, name)); err == nil {
						if l.subdirs[dir] == nil {
							l.subdirs[dir] = map[string]string{}
						}
						l.subdirs[dir][name] = host
					}
				}
				continue // README …
			}
			e, err := l.entryFor(dir, hostDir, de)
			if err != nil || e == nil {
				continue
			}
			l.index[name] = e
		}
	}
	for name, e := range l.index {
		if e.alias != "" {
			l.aliases[e.alias] = append(l.aliases[e.alias], name)
		}
	}
	for _, names := range l.aliases {
		sort.Strings(names)
	}
	return nil
}

func (l *Loader) entryFor(dir, hostDir string, de fs.DirEntry) (*entry, error) {
	name := de.Name()
	e := &entry{name: name, dir: dir}
	p := filepath.Join(hostDir, name)
	if de.Type()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(p)
		if err != nil {
			return nil, err
		}
		if target == "/dev/null" {
			e.masked = true
			return e, nil
		}
		host, err := resolve(l.Root, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if base := filepath.Base(host); base != name {
			bn, err := ParseName(base)
			n, _ := ParseName(name)
			if err != nil || bn.Type != n.Type {
				return nil, nil // systemd ignores a link to something that is not a unit of its type
			}
			e.alias = base
			return e, nil
		}
		p = host
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, nil
	}
	e.host = p
	e.masked = isNull(l.Root, p)
	return e, nil
}

func isUnitSubdir(name string) bool {
	for _, suf := range []string{".d", ".wants", ".requires", ".upholds"} {
		if strings.HasSuffix(name, suf) {
			return true
		}
	}
	return false
}

// Names lists every unit name the search path holds (files, aliases and
// masks), sorted.
func (l *Loader) Names() []string {
	out := make([]string, 0, len(l.index))
	for n := range l.index {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Load returns the unit named name: the first file of that name on the
// search path (an alias symlink leads to the unit it names; an instance
// without a file of its own uses its template), with its drop-ins applied.
// A masked unit is returned with Masked set and nothing else loaded. A
// unit that exists nowhere is an error wrapping [ErrNotFound], except the
// targets systemd itself ships, which are built in.
func (l *Loader) Load(name string) (*Unit, error) { return l.get(name, 0) }

func (l *Loader) get(name string, depth int) (*Unit, error) {
	if u, ok := l.cache[name]; ok {
		return u, nil
	}
	u, err := l.load(name, depth)
	if err != nil {
		return nil, err
	}
	l.cache[name] = u
	return u, nil
}

func (l *Loader) load(name string, depth int) (*Unit, error) {
	if depth > maxSymlinks {
		return nil, fmt.Errorf("unit %s: alias chain too long", name)
	}
	n, err := ParseName(name)
	if err != nil {
		return nil, err
	}
	if n.Template {
		return nil, fmt.Errorf("unit %s: a template cannot be loaded, only an instance (%s)", name, Instantiate(n, "NAME"))
	}
	e := l.index[name]
	if e == nil && n.IsInstance() {
		if te := l.index[n.TemplateName()]; te != nil {
			e = te
			if te.alias != "" { // an aliased template: the instance of the real one
				tn, _ := ParseName(te.alias)
				return l.aliasOf(name, Instantiate(tn, n.Instance), depth)
			}
		}
	}
	if e == nil && name == "default.target" {
		return l.aliasOf(name, "multi-user.target", depth) // systemd's link, which boxinit provides
	}
	if e == nil {
		if b := builtinTarget(name); b != nil {
			return l.build(n, "", nil, b)
		}
		return nil, fmt.Errorf("unit %s: %w", name, ErrNotFound)
	}
	if e.alias != "" {
		return l.aliasOf(name, e.alias, depth)
	}
	if e.masked {
		return &Unit{Name: name, Names: []string{name}, Masked: true, Fragment: path.Join(e.dir, e.name)}, nil
	}
	data, err := os.ReadFile(e.host)
	if err != nil {
		return nil, fmt.Errorf("read unit %s: %w", name, err)
	}
	return l.build(n, inRoot(l.Root, e.host), data, nil)
}

func (l *Loader) aliasOf(name, target string, depth int) (*Unit, error) {
	u, err := l.get(target, depth+1)
	if err != nil {
		return nil, fmt.Errorf("unit %s (alias of %s): %w", name, target, err)
	}
	if !contains(u.Names, name) {
		u.Names = append(u.Names, name)
	}
	return u, nil
}

// build parses the fragment and the drop-ins of the unit named n.
func (l *Loader) build(n Name, fragment string, data []byte, builtin []Assignment) (*Unit, error) {
	u := &Unit{Name: n.Full, Names: []string{n.Full}, Fragment: fragment}
	u.Names = append(u.Names, l.aliases[n.Full]...)
	var all []Assignment
	if builtin != nil {
		all = builtin
		u.Builtin = true
	} else {
		as, diags, err := ParseFile(bytes.NewReader(data), fragment)
		if err != nil {
			return nil, err
		}
		all, u.Diags = as, diags
	}
	dropins, err := l.dropIns(n, u.Names)
	if err != nil {
		return nil, err
	}
	for _, d := range dropins {
		b, err := os.ReadFile(d.host)
		if err != nil {
			return nil, fmt.Errorf("read drop-in %s: %w", d.path, err)
		}
		as, diags, err := ParseFile(bytes.NewReader(b), d.path)
		if err != nil {
			return nil, err
		}
		u.DropIns = append(u.DropIns, d.path)
		all = append(all, as...)
		u.Diags = append(u.Diags, diags...)
	}
	sp := &specifiers{name: n, fragment: fragment, host: l.Host}
	u.interpret(all, sp)
	for _, dir := range []string{"wants", "requires", "upholds"} {
		deps, err := l.depDir(n, u.Names, dir)
		if err != nil {
			return nil, err
		}
		switch dir {
		case "wants":
			u.Wants = appendNew(u.Wants, deps...)
		case "requires":
			u.Requires = appendNew(u.Requires, deps...)
		case "upholds":
			u.Wants = appendNew(u.Wants, deps...)
		}
	}
	return u, nil
}

type dropIn struct{ path, host string }

// dropInNames lists the names whose NAME.d directories apply to a unit, in
// systemd's order: each of its names, the template of an instance, the
// dash-truncated prefixes ("foo-bar-baz.service" → "foo-bar-.service",
// "foo-.service"), and the type ("service").
func dropInNames(n Name, names []string) []string {
	var out []string
	for _, name := range names {
		out = appendNew(out, name)
		nn, err := ParseName(name)
		if err != nil {
			continue
		}
		if t := nn.TemplateName(); t != "" {
			out = appendNew(out, t)
		}
		p := nn.Prefix
		for i := len(p) - 1; i > 0; i-- {
			if p[i] == '-' {
				out = appendNew(out, p[:i+1]+"."+nn.Type)
			}
		}
	}
	return appendNew(out, n.Type)
}

// dropIns finds the *.conf files of the unit's drop-in directories. A file
// in an earlier directory hides one of the same name in a later one (one
// pointing at /dev/null, or empty, hides it and applies nothing); they
// apply in the order of their file names, wherever they are.
func (l *Loader) dropIns(n Name, names []string) ([]dropIn, error) {
	seen := map[string]bool{}
	var out []dropIn
	for _, name := range dropInNames(n, names) {
		for _, dir := range l.Dirs {
			d := path.Join(dir, name+".d")
			host, ok := l.subdirs[dir][name+".d"]
			if !ok {
				continue
			}
			des, err := os.ReadDir(host)
			if err != nil {
				continue
			}
			for _, de := range des {
				base := de.Name()
				if !strings.HasSuffix(base, ".conf") || seen[base] {
					continue
				}
				seen[base] = true
				fh, err := resolve(l.Root, path.Join(d, base))
				if err != nil {
					return nil, err
				}
				if isNull(l.Root, fh) {
					continue
				}
				if fi, err := os.Stat(fh); err != nil || !fi.Mode().IsRegular() {
					continue
				}
				out = append(out, dropIn{path: path.Join(d, base), host: fh})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return path.Base(out[i].path) < path.Base(out[j].path) })
	return out, nil
}

// depDir lists the unit names in NAME.wants/ (or .requires/, .upholds/)
// of every name of the unit and of its template. The names of the links
// count, not their targets; a template entry in an instance's directory
// becomes the same instance.
func (l *Loader) depDir(n Name, names []string, kind string) ([]string, error) {
	var search []string
	for _, name := range names {
		search = appendNew(search, name)
		if nn, err := ParseName(name); err == nil && nn.TemplateName() != "" {
			search = appendNew(search, nn.TemplateName())
		}
	}
	var out []string
	for _, name := range search {
		for _, dir := range l.Dirs {
			host, ok := l.subdirs[dir][name+"."+kind]
			if !ok {
				continue
			}
			des, err := os.ReadDir(host)
			if err != nil {
				continue
			}
			for _, de := range des {
				dn, err := ParseName(de.Name())
				if err != nil {
					continue
				}
				dep := dn.Full
				if dn.Template && n.IsInstance() {
					dep = Instantiate(dn, n.Instance)
				} else if dn.Template {
					continue
				}
				out = appendNew(out, dep)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func appendNew(list []string, items ...string) []string {
	for _, s := range items {
		if !contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}
