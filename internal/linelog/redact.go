package linelog

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
)

// Mask is what a redacted value becomes.
const Mask = "[redacted]"

// MinSecret is the shortest value redacted: shorter ones ("1", "yes")
// would mask half of every line and hide nothing worth hiding.
const MinSecret = 4

// Redactor replaces secret values in lines before they are logged.
type Redactor struct{ r *strings.Replacer }

// NewRedactor hides each of values in the lines it is given, and the
// pieces of a value that a program may print on its own: each line of a
// multi-line value, and for a URL its user info, its password, the URL
// without user info (git prints that) and each query value. A nil
// *Redactor hides nothing.
func NewRedactor(values []string) *Redactor {
	var needles []string
	add := func(s string) {
		if s = strings.TrimSpace(s); len(s) >= MinSecret {
			needles = append(needles, s)
		}
	}
	for _, v := range values {
		add(v)
		for _, line := range strings.Split(v, "\n") {
			add(line)
		}
		if u, err := url.Parse(strings.TrimSpace(v)); err == nil && u.Scheme != "" && u.Host != "" {
			if u.User != nil {
				add(u.User.String())
				add(u.User.Username())
				if p, ok := u.User.Password(); ok {
					add(p)
				}
				bare := *u
				bare.User = nil
				add(bare.String())
			}
			for _, vs := range u.Query() {
				for _, q := range vs {
					add(q)
				}
			}
		}
	}
	if len(needles) == 0 {
		return nil
	}
	// Longest first, so that a value is masked whole before a piece of it.
	slices.SortFunc(needles, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	needles = slices.Compact(needles)
	pairs := make([]string, 0, 2*len(needles))
	for _, n := range needles {
		pairs = append(pairs, n, Mask)
	}
	return &Redactor{strings.NewReplacer(pairs...)}
}

// Redact returns line with every secret masked.
func (r *Redactor) Redact(line string) string {
	if r == nil {
		return line
	}
	return r.r.Replace(line)
}
