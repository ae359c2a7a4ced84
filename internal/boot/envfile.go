package boot

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// maxEnvFile bounds rc.env: a larger file, a FIFO or a device is refused
// instead of blocking or filling boot's memory.
const maxEnvFile = 1 << 20

// readEnvFile reads path if it is a regular file (a symlink to one, as a
// ConfigMap volume makes, is fine) of at most maxEnvFile bytes. A missing
// file is returned as fs.ErrNotExist.
func readEnvFile(path, name string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO without a writer returns at once.
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: is not a regular file (%s); refusing to read it", name, fi.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxEnvFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxEnvFile {
		return nil, fmt.Errorf("%s: larger than %d bytes; refusing to read it", name, maxEnvFile)
	}
	return data, nil
}

// envFile is what an rc.env assigned: the values, and where each name was
// last set, so that a configuration error can point at file:line.
type envFile struct {
	values map[string]string
	where  map[string]string // "/etc/rc.env:7"
}

// parseEnvFile reads an rc.env as `. /etc/rc.env` would, for the part of
// bash's syntax that assignments use: one NAME=value per line, with or
// without `export`, the value made of unquoted, 'single-quoted' (literal,
// no escapes) and "double-quoted" pieces written together ('it'"'"'s'),
// quoted values over several lines, backslash escapes as bash applies them,
// $NAME and ${NAME} expanded from earlier lines and then from env, and
// comments. What a plain assignment cannot hold (command substitution,
// ${NAME:-x}, a second word or command after the value) is an error naming
// the file and line: boxinit never runs rc.env, so it must not guess.
func parseEnvFile(name string, data []byte, env map[string]string) (*envFile, error) {
	p := &envParser{src: strings.ReplaceAll(string(data), "\r\n", "\n"), line: 1, name: name, env: env,
		f: &envFile{values: map[string]string{}, where: map[string]string{}}}
	for {
		p.skipBlanksAndComments()
		if p.pos >= len(p.src) {
			return p.f, nil
		}
		if err := p.assignment(); err != nil {
			return nil, err
		}
	}
}

type envParser struct {
	src  string
	pos  int
	line int
	name string
	env  map[string]string
	f    *envFile
}

func (p *envParser) errorf(line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.name, line, fmt.Sprintf(format, args...))
}

func (p *envParser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *envParser) next() byte {
	c := p.src[p.pos]
	p.pos++
	if c == '\n' {
		p.line++
	}
	return c
}

func (p *envParser) skipSpaces() {
	for c := p.peek(); c == ' ' || c == '\t'; c = p.peek() {
		p.pos++
	}
}

// skipBlanksAndComments moves to the start of the next assignment.
func (p *envParser) skipBlanksAndComments() {
	for p.pos < len(p.src) {
		switch c := p.peek(); {
		case c == ' ' || c == '\t' || c == '\n':
			p.next()
		case c == '#':
			p.skipToEOL()
		default:
			return
		}
	}
}

func (p *envParser) skipToEOL() {
	for p.pos < len(p.src) && p.peek() != '\n' {
		p.pos++
	}
}

func isNameChar(c byte, first bool) bool {
	return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || !first && c >= '0' && c <= '9'
}

// word reads a NAME at the current position.
func (p *envParser) word() string {
	start := p.pos
	for p.pos < len(p.src) && isNameChar(p.src[p.pos], p.pos == start) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *envParser) assignment() error {
	line := p.line
	name := p.word()
	if name == "export" && (p.peek() == ' ' || p.peek() == '\t') {
		p.skipSpaces()
		name = p.word()
	}
	if name == "" || p.peek() != '=' {
		return p.errorf(line, "not a NAME=value line")
	}
	p.pos++ // '='
	value, err := p.value(name, line)
	if err != nil {
		return err
	}
	// After the value: blanks, then a comment or the end of the line.
	p.skipSpaces()
	switch c := p.peek(); {
	case c == 0 || c == '\n':
	case c == '#':
		p.skipToEOL()
	default:
		return p.errorf(p.line, "%s: more after the value (a space ends an unquoted value): quote the whole value", name)
	}
	p.f.values[name] = value
	p.f.where[name] = fmt.Sprintf("%s:%d", p.name, line)
	return nil
}

// value reads the pieces of one value up to an unquoted blank or newline.
func (p *envParser) value(name string, line int) (string, error) {
	var b strings.Builder
	for {
		c := p.peek()
		switch {
		case c == 0 || c == ' ' || c == '\t' || c == '\n':
			return b.String(), nil
		case c == '\'':
			start := p.line
			p.next()
			end := strings.IndexByte(p.src[p.pos:], '\'')
			if end < 0 {
				return "", p.errorf(start, "%s: the ' quote is never closed", name)
			}
			for range end {
				b.WriteByte(p.next())
			}
			p.next()
		case c == '"':
			if err := p.doubleQuoted(name, &b); err != nil {
				return "", err
			}
		case c == '\\':
			p.next()
			switch e := p.peek(); e {
			case 0:
			case '\n':
				p.next() // a line continuation
			default:
				b.WriteByte(p.next())
			}
		case c == '$':
			if err := p.expand(name, &b); err != nil {
				return "", err
			}
		case strings.IndexByte(";&|<>()`", c) >= 0:
			return "", p.errorf(p.line, "%s: %q outside quotes is shell syntax boxinit does not run: quote the value", name, c)
		default:
			b.WriteByte(p.next())
		}
	}
}

func (p *envParser) doubleQuoted(name string, b *strings.Builder) error {
	start := p.line
	p.next()
	for {
		if p.pos >= len(p.src) {
			return p.errorf(start, "%s: the \" quote is never closed", name)
		}
		switch c := p.peek(); c {
		case '"':
			p.next()
			return nil
		case '\\': // only these are escapes inside double quotes
			p.next()
			switch e := p.peek(); e {
			case '$', '`', '"', '\\':
				b.WriteByte(p.next())
			case '\n':
				p.next()
			default:
				b.WriteByte('\\')
			}
		case '$':
			if err := p.expand(name, b); err != nil {
				return err
			}
		case '`':
			return p.errorf(p.line, "%s: command substitution is not supported in rc.env", name)
		default:
			b.WriteByte(p.next())
		}
	}
}

// expand replaces $NAME or ${NAME} with its value: from an earlier line of
// the file, else from the environment, else nothing, as bash does.
func (p *envParser) expand(name string, b *strings.Builder) error {
	p.next() // '$'
	braced := p.peek() == '{'
	if braced {
		p.next()
	}
	ref := p.word()
	switch {
	case ref == "" && !braced && p.peek() == '(':
		return p.errorf(p.line, "%s: command substitution is not supported in rc.env", name)
	case ref == "" && !braced:
		b.WriteByte('$') // a lone $ stays, as in bash
		return nil
	case braced && (ref == "" || p.peek() != '}'):
		return p.errorf(p.line, "%s: only ${NAME} is supported, not other ${...} forms", name)
	case braced:
		p.next()
	}
	if v, ok := p.f.values[ref]; ok {
		b.WriteString(v)
	} else {
		b.WriteString(p.env[ref])
	}
	return nil
}
