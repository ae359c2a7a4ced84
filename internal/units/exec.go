package units

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// ExecCommand is one command of an Exec*= setting (systemd.service(5),
// "Command lines").
type ExecCommand struct {
	// Path is the program: absolute, or a bare name that systemd looks up
	// in its fixed search path ([ExecSearchPath]).
	Path string
	// Argv is the argument vector, argv[0] included: the path as written,
	// or the word after it with the '@' prefix. "$VAR" and "${VAR}" are
	// still in it: [ExpandCommand] replaces them when the command runs.
	Argv []string
	// IgnoreFailure is the '-' prefix: a failure is recorded, not acted on.
	IgnoreFailure bool
	// NoEnvExpand is the ':' prefix: $VAR stays as written.
	NoEnvExpand bool
	// Privileged is the '+' prefix: runs as root, without User=/Group=.
	Privileged bool
	// NoSetuid is the '!' prefix: User= is applied by the program itself
	// under systemd; under boxinit the command runs as root, like '+'.
	NoSetuid bool
	// AmbientMagic is the '!!' prefix (as '!' when ambient capabilities are
	// missing; they never are here, so it is ignored).
	AmbientMagic bool
	// Where is the file:line the command comes from.
	Where string
}

// ExecSearchPath is where systemd looks up a command given by name.
const ExecSearchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// ParseExec reads the value of an ExecStart=-like setting (after specifier
// expansion): one or more command lines separated by a lone ";" word, each
// with its prefixes. An escaped "\;" is a literal ";" argument.
func ParseExec(value string) ([]ExecCommand, error) {
	var out []ExecCommand
	s := value
	for {
		s = strings.TrimLeft(s, whitespace)
		if s == "" {
			break
		}
		c, rest, err := parseOneExec(s)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		s = rest
	}
	if len(out) == 0 {
		return nil, errors.New("empty command line")
	}
	return out, nil
}

func parseOneExec(s string) (ExecCommand, string, error) {
	var c ExecCommand
	first, rest, _, err := nextWord(s, unquote|cunescape)
	if err != nil {
		return c, "", fmt.Errorf("command %q: %w", s, err)
	}
	f := first
	separateArgv0 := false
prefixes:
	for len(f) > 0 {
		switch {
		case f[0] == '-' && !c.IgnoreFailure:
			c.IgnoreFailure = true
		case f[0] == '@' && !separateArgv0:
			separateArgv0 = true
		case f[0] == ':' && !c.NoEnvExpand:
			c.NoEnvExpand = true
		case f[0] == '+' && !c.Privileged && !c.NoSetuid && !c.AmbientMagic:
			c.Privileged = true
		case f[0] == '!' && !c.Privileged && !c.NoSetuid && !c.AmbientMagic:
			c.NoSetuid = true
		case f[0] == '!' && !c.Privileged && !c.AmbientMagic:
			c.NoSetuid, c.AmbientMagic = false, true
		default:
			break prefixes
		}
		f = f[1:]
	}
	if f == "" {
		return c, "", fmt.Errorf("command %q: empty executable", first)
	}
	if !path.IsAbs(f) && strings.Contains(f, "/") {
		return c, "", fmt.Errorf("command %q: neither an absolute path nor a program name", f)
	}
	if path.IsAbs(f) && path.Clean(f) != f {
		return c, "", fmt.Errorf("command %q: path is not normalized", f)
	}
	c.Path = f
	if !separateArgv0 {
		c.Argv = append(c.Argv, f)
	}
	for {
		rest = strings.TrimLeft(rest, whitespace)
		if rest == "" {
			break
		}
		if rest[0] == ';' && (len(rest) == 1 || strings.IndexByte(whitespace, rest[1]) >= 0) {
			rest = rest[1:]
			break
		}
		if strings.HasPrefix(rest, `\;`) && (len(rest) == 2 || strings.IndexByte(whitespace, rest[2]) >= 0) {
			c.Argv = append(c.Argv, ";")
			rest = rest[2:]
			continue
		}
		var w string
		w, rest, _, err = nextWord(rest, unquote|cunescape|unescapeRelax)
		if err != nil {
			return c, "", fmt.Errorf("command %q: %w", s, err)
		}
		c.Argv = append(c.Argv, w)
	}
	if len(c.Argv) == 0 {
		return c, "", fmt.Errorf("command %q: '@' needs argv[0] after the path", first)
	}
	return c, rest, nil
}

// ExpandCommand replaces environment variables in the arguments as systemd
// does when it runs the command (argv[0] and the path are never expanded):
// a word that is exactly "$NAME" becomes the variable's value split into
// words (quotes group; unset: no word at all); "${NAME}" anywhere in a word
// becomes the value as it is (unset: empty), with "${NAME:-default}" and
// "${NAME:+alternate}"; "$$" is "$". The ':' prefix turns expansion off.
func ExpandCommand(c ExecCommand, env map[string]string) []string {
	if c.NoEnvExpand {
		return append([]string(nil), c.Argv...)
	}
	out := []string{c.Argv[0]}
	for _, a := range c.Argv[1:] {
		if len(a) > 1 && a[0] == '$' && a[1] != '{' && a[1] != '$' {
			if v, ok := env[a[1:]]; ok {
				words, err := splitWords(v, unquote|unescapeRelax)
				if err != nil { // systemd's RELAX: an open quote runs to the end
					words = strings.Fields(v)
				}
				out = append(out, words...)
			}
			continue
		}
		out = append(out, replaceEnv(a, env))
	}
	return out
}

// replaceEnv substitutes ${NAME}, ${NAME:-x}, ${NAME:+x} and $$ in s.
func replaceEnv(s string, env map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			expr := s[i+2 : i+2+end]
			i += 2 + end
			name, op, arg := expr, "", ""
			if j := strings.Index(expr, ":"); j >= 0 && j+1 < len(expr) && (expr[j+1] == '-' || expr[j+1] == '+') {
				name, op, arg = expr[:j], expr[j:j+2], expr[j+2:]
			}
			v, ok := env[name]
			switch {
			case op == ":-" && (!ok || v == ""):
				v = replaceEnv(arg, env)
			case op == ":+":
				if ok && v != "" {
					v = replaceEnv(arg, env)
				} else {
					v = ""
				}
			}
			b.WriteString(v)
		default:
			b.WriteByte('$') // braceless $NAME inside a word stays as written
		}
	}
	return b.String()
}
