package units

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// EnableDir is where `systemctl enable`, `disable`, `mask` and `unmask`
// make and remove links.
const EnableDir = "/etc/systemd/system"

// Change is one link made or removed, as systemctl prints it.
type Change struct {
	Removed bool
	Link    string // inside the root
	Target  string // for a link made
}

func (c Change) String() string {
	if c.Removed {
		return "Removed " + c.Link + "."
	}
	return "Created symlink " + c.Link + " → " + c.Target + "."
}

// installLinks lists the links `systemctl enable` makes for u, link →
// target, as deb-systemd-helper makes them too: WantedBy=T as
// T.wants/NAME, RequiredBy= as .requires/, UpheldBy= as .upholds/, each
// Alias= as a link of that name, all under EnableDir and pointing at the
// unit's file.
func installLinks(u *Unit) map[string]string {
	links := map[string]string{}
	name := u.Name
	for kind, targets := range map[string][]string{"wants": u.Install.WantedBy, "requires": u.Install.RequiredBy, "upholds": u.Install.UpheldBy} {
		for _, t := range targets {
			links[path.Join(EnableDir, t+"."+kind, name)] = u.Fragment
		}
	}
	for _, a := range u.Install.Alias {
		links[path.Join(EnableDir, a)] = u.Fragment
	}
	return links
}

// Enable makes the [Install] links of the named units (and of the units
// their Also= names) under root, as `systemctl enable` does. A template is
// enabled as its DefaultInstance=; a unit with no [Install] settings is
// "static": nothing to do, no error. A link that exists with another
// target is an error naming it (systemctl says "File exists").
func (l *Loader) Enable(names ...string) ([]Change, error) {
	var changes []Change
	seen := map[string]bool{}
	for len(names) > 0 {
		name := names[0]
		names = names[1:]
		u, err := l.installUnit(name)
		if err != nil {
			return changes, err
		}
		if seen[u.Name] {
			continue
		}
		seen[u.Name] = true
		names = append(names, u.Install.Also...)
		links := installLinks(u)
		for _, link := range sortedKeys(links) {
			c, err := l.makeLink(link, links[link])
			if err != nil {
				return changes, err
			}
			if c != nil {
				changes = append(changes, *c)
			}
		}
	}
	if len(changes) > 0 {
		return changes, l.reindex()
	}
	return changes, nil
}

// installUnit loads a unit for enable/disable; a template takes its
// DefaultInstance=.
func (l *Loader) installUnit(name string) (*Unit, error) {
	n, err := ParseName(name)
	if err != nil {
		return nil, err
	}
	if n.Template {
		t, err := l.templateInstall(name)
		if err != nil {
			return nil, err
		}
		if t == "" {
			return nil, fmt.Errorf("unit %s is a template with no DefaultInstance=: enable an instance (%s)", name, Instantiate(n, "NAME"))
		}
		name = Instantiate(n, t)
	}
	u, err := l.Load(name)
	if err != nil {
		return nil, err
	}
	if u.Masked {
		return nil, fmt.Errorf("unit %s is masked", name)
	}
	if u.Fragment == "" {
		return nil, fmt.Errorf("unit %s has no unit file", name)
	}
	return u, nil
}

// templateState is the state of a template with no DefaultInstance=:
// static without [Install] settings, indirect when an instance of it is
// enabled, else disabled (as systemctl list-unit-files shows
// postgresql@.service).
func (l *Loader) templateState(n Name) (string, error) {
	u, err := l.Load(Instantiate(n, "x"))
	if err != nil {
		return "", err
	}
	links := installLinks(u)
	if len(links) == 0 {
		return "static", nil
	}
	for link := range links {
		pattern := filepath.Join(l.Root, path.Dir(link), n.Prefix+"@*."+n.Type)
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return "indirect", nil
		}
	}
	return "disabled", nil
}

// templateInstall reads DefaultInstance= of a template.
func (l *Loader) templateInstall(name string) (string, error) {
	n, _ := ParseName(name)
	u, err := l.Load(Instantiate(n, "x"))
	if err != nil {
		return "", err
	}
	return u.Install.DefaultInstance, nil
}

func (l *Loader) makeLink(link, target string) (*Change, error) {
	host := filepath.Join(l.Root, link)
	if cur, err := os.Readlink(host); err == nil {
		if l.sameFile(cur, target) {
			return nil, nil
		}
		return nil, fmt.Errorf("cannot link %s to %s: it exists and points to %s", link, target, cur)
	} else if _, serr := os.Lstat(host); serr == nil {
		return nil, fmt.Errorf("cannot link %s to %s: a file is there", link, target)
	}
	if err := os.MkdirAll(filepath.Dir(host), 0o755); err != nil {
		return nil, err
	}
	if err := os.Symlink(target, host); err != nil {
		return nil, err
	}
	return &Change{Link: link, Target: target}, nil
}

// Disable removes what Enable made for the named units: every link under
// EnableDir named after the unit in a .wants/, .requires/ or .upholds/
// directory, and its Alias= links that point at its file.
func (l *Loader) Disable(names ...string) ([]Change, error) {
	var changes []Change
	for _, name := range names {
		u, err := l.installUnit(name)
		if err != nil {
			return changes, err
		}
		cfg := filepath.Join(l.Root, EnableDir)
		dirs, _ := os.ReadDir(cfg)
		var remove []string
		for _, d := range dirs {
			if d.IsDir() && (strings.HasSuffix(d.Name(), ".wants") || strings.HasSuffix(d.Name(), ".requires") || strings.HasSuffix(d.Name(), ".upholds")) {
				if fi, err := os.Lstat(filepath.Join(cfg, d.Name(), u.Name)); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
					remove = append(remove, path.Join(EnableDir, d.Name(), u.Name))
				}
			}
		}
		for _, a := range u.Install.Alias {
			if t, err := os.Readlink(filepath.Join(cfg, a)); err == nil && l.sameFile(t, u.Fragment) {
				remove = append(remove, path.Join(EnableDir, a))
			}
		}
		sort.Strings(remove)
		for _, r := range remove {
			if err := os.Remove(filepath.Join(l.Root, r)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return changes, err
			}
			changes = append(changes, Change{Removed: true, Link: r})
		}
	}
	if len(changes) > 0 {
		return changes, l.reindex()
	}
	return changes, nil
}

// Mask links each named unit to /dev/null under EnableDir; a unit file of
// the admin's in its place is an error, not overwritten.
func (l *Loader) Mask(names ...string) ([]Change, error) {
	var changes []Change
	for _, name := range names {
		if _, err := ParseName(name); err != nil {
			return changes, err
		}
		c, err := l.makeLink(path.Join(EnableDir, name), "/dev/null")
		if err != nil {
			return changes, err
		}
		if c != nil {
			changes = append(changes, *c)
		}
	}
	if len(changes) > 0 {
		return changes, l.reindex()
	}
	return changes, nil
}

// Unmask removes the /dev/null links Mask made.
func (l *Loader) Unmask(names ...string) ([]Change, error) {
	var changes []Change
	for _, name := range names {
		link := path.Join(EnableDir, name)
		if t, err := os.Readlink(filepath.Join(l.Root, link)); err == nil && t == "/dev/null" {
			if err := os.Remove(filepath.Join(l.Root, link)); err != nil {
				return changes, err
			}
			changes = append(changes, Change{Removed: true, Link: link})
		}
	}
	if len(changes) > 0 {
		return changes, l.reindex()
	}
	return changes, nil
}

// EnabledState is what `systemctl is-enabled` prints for a unit: enabled,
// disabled, static (no [Install] settings), masked, alias (the name is a
// link to another unit), generated (made by a generator).
func (l *Loader) EnabledState(name string) (string, error) {
	if e := l.index[name]; e != nil {
		switch {
		case e.masked:
			return "masked", nil
		case e.alias != "":
			return "alias", nil
		case strings.HasPrefix(e.dir, "/run/systemd/generator"):
			return "generated", nil
		}
	}
	if n, err := ParseName(name); err == nil && n.Template {
		if t, err := l.templateInstall(name); err == nil && t == "" {
			return l.templateState(n)
		}
	}
	u, err := l.installUnit(name)
	if err != nil {
		return "", err
	}
	links := installLinks(u)
	if len(links) == 0 {
		return "static", nil
	}
	for link, target := range links {
		if t, err := os.Readlink(filepath.Join(l.Root, link)); err == nil && l.sameFile(t, target) {
			return "enabled", nil
		}
	}
	return "disabled", nil
}

// sameFile reports whether two link targets name one file inside the root:
// deb-systemd-helper links /lib/systemd/system/X where /lib is Debian 12's
// merged-/usr link to usr/lib, and systemctl links /usr/lib/systemd/system/X.
func (l *Loader) sameFile(a, b string) bool {
	if a == b {
		return true
	}
	if !path.IsAbs(a) || !path.IsAbs(b) {
		return false
	}
	ra, err := resolve(l.Root, a)
	if err != nil {
		return false
	}
	rb, err := resolve(l.Root, b)
	return err == nil && ra == rb
}
