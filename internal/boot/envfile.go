package boot

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/joho/godotenv"
)

// envFile is what an rc.env assigned: the values, and where each name was
// last set, so that a configuration error can point at file:line.
type envFile struct {
	values map[string]string
	where  map[string]string // "/etc/rc.env:7"
}

var (
	assignRE = regexp.MustCompile(`^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.?)`)
	varRefRE = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)
)

// parseEnvFile reads an rc.env as `. /etc/rc.env` would: KEY=value lines
// with or without export, quoted or not, comments, ${VAR} expansion from
// earlier lines and from env. godotenv parses the values; this function
// checks the line structure first, so that a malformed line is reported
// with its number (godotenv would accept "A B=1" or say "near ..." only).
func parseEnvFile(name string, data []byte, env map[string]string) (*envFile, error) {
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	f := &envFile{where: map[string]string{}}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" || line[0] == '#' {
			continue
		}
		m := assignRE.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("%s:%d: not a NAME=value line", name, i+1)
		}
		f.where[m[1]] = fmt.Sprintf("%s:%d", name, i+1)
		if q := m[2]; q == `"` || q == `'` { // a quoted value may go on over lines
			start := i
			rest := line[strings.Index(line, "=")+1:]
			rest = strings.TrimLeft(rest, " \t")[1:]
			for !closesQuote(rest, q[0]) {
				i++
				if i == len(lines) {
					return nil, fmt.Errorf("%s:%d: %s: the %s quote is never closed", name, start+1, m[1], q)
				}
				rest = lines[i]
			}
		}
	}

	// godotenv expands ${VAR} from the file only; give it the environment's
	// values of the names the file refers to as leading lines.
	var prefix bytes.Buffer
	for _, ref := range varRefRE.FindAllStringSubmatch(string(data), -1) {
		if v, ok := env[ref[1]]; ok && !strings.ContainsAny(v, "'\n\r") {
			fmt.Fprintf(&prefix, "%s='%s'\n", ref[1], v)
		}
	}
	all, err := godotenv.UnmarshalBytes(append(prefix.Bytes(), data...))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f.values = make(map[string]string, len(f.where))
	for k := range f.where {
		f.values[k] = all[k]
	}
	return f, nil
}

// closesQuote reports whether s holds an unescaped closing quote q.
func closesQuote(s string, q byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == q && (i == 0 || s[i-1] != '\\') {
			return true
		}
	}
	return false
}
