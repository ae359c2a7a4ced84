package users

import (
	"fmt"
	"strings"
)

// checkSudoRule parses the part of a sudoers(5) User_Spec that follows the
// user name, which is what DEFAULT_USER_SUDO holds:
//
//	Host_List '=' Cmnd_Spec_List (':' Host_List '=' Cmnd_Spec_List)*
//	Cmnd_Spec ::= ['(' Runas_List [':' Runas_List] ')'] Option_Spec* (Tag ':')* Cmnd
//	Cmnd      ::= '!'* (ALL | Cmnd_Alias | sudoedit [args] | /path [args] | /dir/)
//
// It is strict on purpose: a rule sudo would reject (or read as something
// else, like "#include /tmp/evil") is refused before boot writes it,
// whether or not the image has visudo to ask.
func checkSudoRule(rule string) error {
	p := &sudoParser{s: rule}
	for {
		if err := p.list("host", p.hostItem); err != nil {
			return err
		}
		if !p.eat('=') {
			return p.fail("want '=' after the host list")
		}
		for {
			if err := p.cmndSpec(); err != nil {
				return err
			}
			if !p.eat(',') {
				break
			}
		}
		p.space()
		if p.done() {
			return nil
		}
		if !p.eat(':') {
			return p.fail("want ',' or ':' or the end after a command")
		}
	}
}

type sudoParser struct {
	s   string
	pos int
}

func (p *sudoParser) fail(why string) error {
	return fmt.Errorf("not a sudoers rule at character %d: %s (want HOSTS=(RUNAS) [TAGS:] COMMANDS, e.g. ALL=(ALL) NOPASSWD:ALL)", p.pos+1, why)
}

func (p *sudoParser) done() bool { return p.pos >= len(p.s) }

func (p *sudoParser) space() {
	for !p.done() && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

func (p *sudoParser) eat(c byte) bool {
	p.space()
	if !p.done() && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// token reads a run of characters allowed in names, with sudoers' backslash
// escapes.
func (p *sudoParser) token() string {
	p.space()
	start := p.pos
	for !p.done() {
		c := p.s[p.pos]
		if c == '\\' && p.pos+1 < len(p.s) {
			p.pos += 2
			continue
		}
		if strings.IndexByte(" \t,:=()!", c) >= 0 {
			break
		}
		p.pos++
	}
	return p.s[start:p.pos]
}

var (
	sudoAliasRE = lazyRegexp(`^[A-Z][A-Z0-9_]*$`)
	sudoHostRE  = lazyRegexp(`^(\+?[A-Za-z0-9_][A-Za-z0-9_.*-]*|[0-9A-Fa-f.:]+(/[0-9.]+)?)$`)
	sudoRunasRE = lazyRegexp(`^(%?#[0-9]+|%:?[A-Za-z_][A-Za-z0-9_.-]*\$?|\+?[A-Za-z_][A-Za-z0-9_.-]*\$?)$`)
	sudoTags    = map[string]bool{
		"EXEC": true, "NOEXEC": true, "FOLLOW": true, "NOFOLLOW": true, "LOG_INPUT": true, "NOLOG_INPUT": true,
		"LOG_OUTPUT": true, "NOLOG_OUTPUT": true, "MAIL": true, "NOMAIL": true, "INTERCEPT": true,
		"NOINTERCEPT": true, "PASSWD": true, "NOPASSWD": true, "SETENV": true, "NOSETENV": true,
	}
	sudoOptions = map[string]bool{"NOTBEFORE": true, "NOTAFTER": true, "TIMEOUT": true, "CWD": true,
		"CHROOT": true, "ROLE": true, "TYPE": true, "APPARMOR_PROFILE": true}
)

// list reads item (',' item)* where each item may be negated with '!'.
func (p *sudoParser) list(what string, item func(string) bool) error {
	for {
		for p.eat('!') {
		}
		if t := p.token(); !item(t) {
			if t == "" {
				return p.fail("a " + what + " is missing")
			}
			return p.fail(fmt.Sprintf("%q is not a %s", t, what))
		}
		p.space()
		if p.done() || p.s[p.pos] != ',' {
			return nil
		}
		p.pos++
	}
}

func (p *sudoParser) hostItem(t string) bool {
	return t == "ALL" || sudoAliasRE().MatchString(t) || sudoHostRE().MatchString(t)
}

func (p *sudoParser) runasItem(t string) bool {
	return t == "ALL" || sudoAliasRE().MatchString(t) || sudoRunasRE().MatchString(t)
}

func (p *sudoParser) cmndSpec() error {
	if p.eat('(') {
		p.space()
		if p.done() || (p.s[p.pos] != ':' && p.s[p.pos] != ')') {
			if err := p.list("run-as user", p.runasItem); err != nil {
				return err
			}
		}
		if p.eat(':') {
			if err := p.list("run-as group", p.runasItem); err != nil {
				return err
			}
		}
		if !p.eat(')') {
			return p.fail("want ')' to close the run-as list")
		}
	}
	for { // options (NAME=value) and tags (NAME:), in that order
		save := p.pos
		t := p.token()
		switch {
		case sudoOptions[t] && p.eat('='):
			if p.token() == "" {
				return p.fail(t + "= needs a value")
			}
			continue
		case sudoTags[t] && p.eat(':'):
			continue
		}
		p.pos = save
		break
	}
	return p.cmnd()
}

// cmnd reads one command up to an unescaped ',' or ':' (or the end).
func (p *sudoParser) cmnd() error {
	for p.eat('!') {
	}
	p.space()
	start := p.pos
	for !p.done() {
		c := p.s[p.pos]
		if c == '\\' && p.pos+1 < len(p.s) {
			p.pos += 2
			continue
		}
		if c == ',' || c == ':' { // sudo reads '=', '(', ')' and '!' in arguments as they are
			break
		}
		p.pos++
	}
	cmd := strings.TrimSpace(p.s[start:p.pos])
	name, _, _ := strings.Cut(cmd, " ")
	switch {
	case cmd == "":
		p.pos = start
		return p.fail("a command is missing")
	case sudoAliasRE().MatchString(name) && name == cmd: // ALL or an alias
	case name == "sudoedit", name == "list" && name == cmd:
	case strings.HasPrefix(name, "/"):
	default:
		p.pos = start
		return p.fail(fmt.Sprintf("%q is not a command: want ALL, an alias, sudoedit or an absolute path", name))
	}
	return nil
}
