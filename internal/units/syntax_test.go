package units

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func kv(as []Assignment) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Section+"|"+a.Key+"|"+a.Value)
	}
	return out
}

// The example of systemd.syntax(7), "Description".
func TestParseFile_ReadsTheExampleOfSystemdSyntax7(t *testing.T) {
	src := "[Section A]\nKeyOne=value 1\nKeyTwo=value 2\n\n# a comment\n\n[Section B]\n" +
		"Setting=\"something\" \"some thing\" \"…\"\nKeyTwo=value 2 \\\n       value 2 continued\n\n" +
		"[Section C]\nKeyThree=value 3\\\n# this line is ignored\n; this line is ignored too\n       value 3 continued\n"
	as, diags, err := ParseFile(strings.NewReader(src), "x.service")
	require.NoError(t, err)
	assert.Empty(t, diags)
	assert.Equal(t, []string{
		"Section A|KeyOne|value 1",
		"Section A|KeyTwo|value 2",
		"Section B|Setting|\"something\" \"some thing\" \"…\"",
		"Section B|KeyTwo|value 2         value 2 continued",
		"Section C|KeyThree|value 3        value 3 continued",
	}, kv(as))
	assert.Equal(t, 9, as[3].Line, "a continued assignment has the line it starts on")
	assert.Equal(t, 13, as[4].Line)
}

func TestParseFile_ContinuationAndCommentEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"an escaped backslash does not continue", "[S]\nA=x\\\\\nB=y\n", []string{"S|A|x\\\\", "S|B|y"}},
		{"three backslashes do", "[S]\nA=x\\\\\\\ny\n", []string{"S|A|x\\\\ y"}},
		{"an empty line ends a continuation", "[S]\nA=x\\\n\nB=y\n", []string{"S|A|x", "S|B|y"}},
		{"whitespace around key and value goes", "[S]\n  Key  =   v w  \n", []string{"S|Key|v w"}},
		{"a comment must start the line", "[S]\nA=x # not a comment\n", []string{"S|A|x # not a comment"}},
		{"an indented comment is one", "[S]\n   # c\nA=1\n", []string{"S|A|1"}},
		{"an empty value is kept (it resets lists)", "[S]\nA=\n", []string{"S|A|"}},
		{"a later section of the same name goes on", "[S]\nA=1\n[T]\nB=2\n[S]\nC=3\n", []string{"S|A|1", "T|B|2", "S|C|3"}},
		{"a byte order mark is skipped", "\uFEFF[S]\nA=1\n", []string{"S|A|1"}},
		{"a file ending in a backslash keeps what it has", "[S]\nA=1\\", []string{"S|A|1"}},
		{"CRLF line ends", "[S]\r\nA=1\r\n", []string{"S|A|1"}},
	} {
		as, _, err := ParseFile(strings.NewReader(tc.src), "f")
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, kv(as), tc.name)
	}
}

func TestParseFile_ReportsLinesSystemdIgnoresWithFileAndLine(t *testing.T) {
	src := "A=outside\n[Unit]\nNoEquals\n=novalue\n[Broken\nB=dropped\n[Service]\nC=kept\n"
	as, diags, err := ParseFile(strings.NewReader(src), "/etc/systemd/system/x.service")
	require.NoError(t, err)
	assert.Equal(t, []string{"Service|C|kept"}, kv(as))
	var got []string
	for _, d := range diags {
		got = append(got, d.String())
	}
	assert.Equal(t, []string{
		"/etc/systemd/system/x.service:1: warning: assignment outside of a section, ignored",
		`/etc/systemd/system/x.service:3: warning: missing '=' in "NoEquals", line ignored`,
		"/etc/systemd/system/x.service:4: warning: assignment with no key, ignored",
		`/etc/systemd/system/x.service:5: error: invalid section header "[Broken": its settings are ignored`,
	}, got)
}

func TestParseFile_RefusesALineOverSystemdsLimit(t *testing.T) {
	src := "[S]\nA=" + strings.Repeat("x", maxLine) + "\n"
	_, _, err := ParseFile(strings.NewReader(src), "big.service")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "big.service:2")
}

func FuzzParseFile(f *testing.F) {
	f.Add("[Unit]\nA=1\\\n# c\n b\n[Service]\nExecStart=-/bin/sh -c 'echo \"$X\"' ; /bin/true\n")
	f.Fuzz(func(t *testing.T, src string) {
		as, _, err := ParseFile(strings.NewReader(src), "f")
		if err != nil {
			return
		}
		for _, a := range as {
			if a.Key == "" || a.Section == "" || strings.Trim(a.Key, whitespace) != a.Key {
				t.Fatalf("bad assignment %+v", a)
			}
			_, _ = ParseExec(a.Value)
			_, _, _ = ParseEnvironment(a.Value)
		}
	})
}
