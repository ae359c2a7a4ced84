package users

import (
	"bufio"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Key is one public key that boxinit manages in authorized_keys.
type Key struct {
	Line     string // the authorized_keys line as given, without marker
	Source   string // "DEFAULT_KEY", "gh:alice", "lp:bob"
	material string // wire-format public key: equal for duplicates
}

// SourceLiteral is the source of the keys in DEFAULT_KEY.
const SourceLiteral = "DEFAULT_KEY"

// markerPrefix starts the comment that marks a managed line:
// "ssh-ed25519 AAAA... alice@laptop # boxinit gh:alice".
const markerPrefix = " # boxinit "

var sourceRE = lazyRegexp(`^(DEFAULT_KEY|(gh|lp):[A-Za-z0-9][A-Za-z0-9._-]*)$`)

// ParseKeys parses authorized_keys text that came from source. Blank lines
// and comments are skipped silently, lines that are not public keys with a
// warning that names the source and the line number but never quotes the
// line: a pasted private key must not reach the log or status.
func ParseKeys(source, text string) (keys []Key, warnings []string) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text()) // also drops the \r of CRLF
		if line == "" || line[0] == '#' {
			continue
		}
		line, _ = splitMarker(line)
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("line %d of %s is not a public key", n, source))
			continue
		}
		keys = append(keys, Key{Line: line, Source: source, material: string(pub.Marshal())})
	}
	if err := sc.Err(); err != nil {
		warnings = append(warnings, fmt.Sprintf("%s: %v", source, err))
	}
	return keys, warnings
}

// splitMarker separates a managed line from its marker; source is empty
// for a line without one.
func splitMarker(line string) (key, source string) {
	i := strings.LastIndex(line, markerPrefix)
	if i < 0 {
		return line, ""
	}
	src := line[i+len(markerPrefix):]
	if !sourceRE().MatchString(src) {
		return line, ""
	}
	return line[:i], src
}

// KeySet is what one source contributes to authorized_keys.
type KeySet struct {
	Source string
	Keys   []Key
	// Keep says the source could not be reached (network): its lines from
	// the previous boot stay instead of being dropped.
	Keep bool
}

// mergeAuthorizedKeys computes the new authorized_keys: every line without
// a marker stays where it is; then come the managed keys, source by source,
// each key material once (a key also added by hand is not repeated).
func mergeAuthorizedKeys(old string, sets []KeySet) string {
	var out []string
	seen := map[string]bool{}
	previous := map[string][]string{} // source → its managed lines from last time
	var lines []string
	if old != "" {
		lines = strings.Split(strings.TrimSuffix(old, "\n"), "\n")
	}
	for _, line := range lines { // split exactly: a hand-added line stays byte for byte
		if key, src := splitMarker(line); src != "" {
			previous[src] = append(previous[src], key)
			continue
		}
		out = append(out, line)
		if pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line)); err == nil {
			seen[string(pub.Marshal())] = true
		}
	}
	for _, set := range sets {
		keys := set.Keys
		if set.Keep {
			keys, _ = ParseKeys(set.Source, strings.Join(previous[set.Source], "\n"))
		}
		for _, k := range keys {
			if seen[k.material] {
				continue
			}
			seen[k.material] = true
			out = append(out, k.Line+markerPrefix+set.Source)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n") + "\n"
}
