package units

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseExec_QuotingAndSeparatorsAsSystemdServiceDocuments(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  [][]string
	}{
		// systemd.service(5), "Command lines".
		{`/bin/echo one ; /bin/echo "two two"`, [][]string{{"/bin/echo", "one"}, {"/bin/echo", "two two"}}},
		{`/bin/echo / >/dev/null & \; ls`, [][]string{{"/bin/echo", "/", ">/dev/null", "&", ";", "ls"}}},
		{`/bin/sh -c 'dmesg | tac'`, [][]string{{"/bin/sh", "-c", "dmesg | tac"}}},
		{`echo "one two"three 'x'"y"`, [][]string{{"echo", "one twothree", "xy"}}},
		{`/bin/echo a;b`, [][]string{{"/bin/echo", "a;b"}}},
		{`/bin/printf "\x41\101\u00e9\t\s\\\""`, [][]string{{"/bin/printf", "AAé\t \\\""}}},
		{`/bin/grep a\d`, [][]string{{"/bin/grep", `a\d`}}}, // an unknown escape in an argument stays
		{`/usr/sbin/nginx -g 'daemon on; master_process on;'`, [][]string{{"/usr/sbin/nginx", "-g", "daemon on; master_process on;"}}},
		{"/bin/sh -c \"set -f; [ ! -e /x ] && VAR= || VAR=`/y`; exec /z $OPTS\"", [][]string{{"/bin/sh", "-c", "set -f; [ ! -e /x ] && VAR= || VAR=`/y`; exec /z $OPTS"}}},
	} {
		cmds, err := ParseExec(tc.value)
		require.NoError(t, err, tc.value)
		var got [][]string
		for _, c := range cmds {
			got = append(got, c.Argv)
		}
		assert.Equal(t, tc.want, got, tc.value)
	}
}

func TestParseExec_PrefixesInAnyOrderEachOnce(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  ExecCommand
	}{
		{"-/bin/false", ExecCommand{Path: "/bin/false", Argv: []string{"/bin/false"}, IgnoreFailure: true}},
		{"@/bin/sh mysh -c x", ExecCommand{Path: "/bin/sh", Argv: []string{"mysh", "-c", "x"}}},
		{"-@/bin/sh mysh", ExecCommand{Path: "/bin/sh", Argv: []string{"mysh"}, IgnoreFailure: true}},
		{"@-/bin/sh mysh", ExecCommand{Path: "/bin/sh", Argv: []string{"mysh"}, IgnoreFailure: true}},
		{":/bin/echo $X", ExecCommand{Path: "/bin/echo", Argv: []string{"/bin/echo", "$X"}, NoEnvExpand: true}},
		{"+/bin/id", ExecCommand{Path: "/bin/id", Argv: []string{"/bin/id"}, Privileged: true}},
		{"!/etc/mysql/debian-start", ExecCommand{Path: "/etc/mysql/debian-start", Argv: []string{"/etc/mysql/debian-start"}, NoSetuid: true}},
		{"!!/bin/id", ExecCommand{Path: "/bin/id", Argv: []string{"/bin/id"}, AmbientMagic: true}},
		{"-+/bin/id", ExecCommand{Path: "/bin/id", Argv: []string{"/bin/id"}, IgnoreFailure: true, Privileged: true}},
		{"true", ExecCommand{Path: "true", Argv: []string{"true"}}},
	} {
		cmds, err := ParseExec(tc.value)
		require.NoError(t, err, tc.value)
		require.Len(t, cmds, 1, tc.value)
		assert.Equal(t, tc.want, cmds[0], tc.value)
	}
}

func TestParseExec_RefusesWhatSystemdRefuses(t *testing.T) {
	for _, value := range []string{
		"--/bin/false",    // '-' twice: the second is part of the path
		"+!/bin/id",       // '+' and '!' exclude each other
		"!!!/bin/id",      // '!!!'
		"bin/foo",         // relative with a slash
		"/usr//bin/foo",   // not normalized
		"/usr/bin/../foo", // not normalized
		"-",               // no executable
		"@/bin/sh",        // '@' without argv[0]
		`/bin/echo "open`, // unbalanced
		`/bin/\d`,         // unknown escape in the path
		"",
	} {
		_, err := ParseExec(value)
		assert.Error(t, err, value)
	}
}

// systemd.service(5): the two Environment= examples of "Command lines".
// The second, as the man page prints it, says ONE='one' keeps its quotes;
// systemd's code (extract_first_word with EXTRACT_UNQUOTE, which also
// removes quotes inside a word: its own test turns wa"ld"i into waldi)
// gives "one", and so does Debian 12's systemd 252: the code wins.
func TestExpandCommand_FollowsTheExamplesOfSystemdService5(t *testing.T) {
	env := map[string]string{"ONE": "one", "TWO": "two two"}
	cmds, err := ParseExec(`echo $ONE $TWO ${TWO}`)
	require.NoError(t, err)
	assert.Equal(t, []string{"echo", "one", "two", "two", "two two"}, ExpandCommand(cmds[0], env))

	vars, bad, err := ParseEnvironment(`ONE='one' "TWO='two two' too" THREE=`)
	require.NoError(t, err)
	require.Empty(t, bad)
	env = map[string]string{}
	for _, v := range vars {
		env[v.Name] = v.Value
	}
	assert.Equal(t, map[string]string{"ONE": "one", "TWO": "'two two' too", "THREE": ""}, env)
	c1, _ := ParseExec(`/bin/echo ${ONE} ${TWO} ${THREE}`)
	c2, _ := ParseExec(`/bin/echo $ONE $TWO $THREE`)
	assert.Equal(t, []string{"/bin/echo", "one", "'two two' too", ""}, ExpandCommand(c1[0], env))
	assert.Equal(t, []string{"/bin/echo", "one", "two two", "too"}, ExpandCommand(c2[0], env))
}

func TestExpandCommand_UnsetWordsVanishAndBracesDefault(t *testing.T) {
	env := map[string]string{"MAINPID": "42", "E": ""}
	for _, tc := range []struct {
		value string
		want  []string
	}{
		{"/usr/sbin/sshd -D $SSHD_OPTS", []string{"/usr/sbin/sshd", "-D"}},
		{"/bin/kill -HUP $MAINPID", []string{"/bin/kill", "-HUP", "42"}},
		{"/bin/x pid=${MAINPID} ${NOPE}", []string{"/bin/x", "pid=42", ""}},
		{"/bin/x ${NOPE:-dflt} ${E:-dflt} ${MAINPID:+set} ${NOPE:+set}", []string{"/bin/x", "dflt", "dflt", "set", ""}},
		{"/bin/x $$MAINPID a$MAINPID", []string{"/bin/x", "$MAINPID", "a$MAINPID"}},
		{":/bin/x $MAINPID", []string{"/bin/x", "$MAINPID"}},
	} {
		cmds, err := ParseExec(tc.value)
		require.NoError(t, err, tc.value)
		assert.Equal(t, tc.want, ExpandCommand(cmds[0], env), tc.value)
	}
}
