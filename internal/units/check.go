package units

import (
	"errors"
	"sort"
)

// Check loads every unit on the search path and returns what `boxinit
// check` shows: each problem once (a unit reached by several names, a
// template by each instance, is checked once), sorted by file and line.
// A template is checked as an instance named "check". Units of types
// boxinit does not run are not checked.
func (l *Loader) Check() []Diag {
	seen := map[string]bool{}
	var out []Diag
	add := func(d Diag) {
		k := d.String()
		if !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	for _, name := range l.Names() {
		n, err := ParseName(name)
		if err != nil || unsupportedTypes[n.Type] != "" {
			continue
		}
		if n.Template {
			name = Instantiate(n, "check")
		}
		u, err := l.Load(name)
		if errors.Is(err, ErrNotFound) {
			continue // an alias to a unit that is not there: systemd ignores it too
		}
		if err != nil {
			add(Diag{File: name, Severity: Error, Msg: err.Error()})
			continue
		}
		for _, d := range u.Diags {
			add(d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out
}
