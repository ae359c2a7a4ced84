package units

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseEnvironment_QuotesGroupAndBadWordsAreReported(t *testing.T) {
	// systemd.exec(5), Environment=.
	vars, bad, err := ParseEnvironment(`"VAR1=word1 word2" VAR2=word3 "VAR3=$word 5 6"`)
	require.NoError(t, err)
	assert.Empty(t, bad)
	assert.Equal(t, []EnvVar{{"VAR1", "word1 word2"}, {"VAR2", "word3"}, {"VAR3", "$word 5 6"}}, vars)

	vars, bad, err = ParseEnvironment(`APACHE_CONFDIR=/etc/apache2-x APACHE_STARTED_BY_SYSTEMD=true noassign 1X=y A=\x41`)
	require.NoError(t, err)
	assert.Equal(t, []string{"noassign", "1X=y"}, bad)
	assert.Equal(t, []EnvVar{{"APACHE_CONFDIR", "/etc/apache2-x"}, {"APACHE_STARTED_BY_SYSTEMD", "true"}, {"A", "A"}}, vars)

	_, _, err = ParseEnvironment(`A="open`)
	assert.Error(t, err)
}

func TestParseEnvironmentFile_ReadsShellLikeAssignmentsAsSystemdDoes(t *testing.T) {
	src := strings.Join([]string{
		"# Default settings for the OpenSSH server",
		"; also a comment",
		`SSHD_OPTS=`,
		`  SPACED  =  value with  inner  spaces   `,
		`SINGLE='a "b" \c $d'`,
		`DOUBLE="a \"b\" \\c \$d \n"`,
		`JOINED='x'"y"z`,
		`CONT=one\`,
		`two`,
		`ESC=a\ b\#`,
		`NOEQUALS`,
		`9BAD=x`,
		`LAST=end`,
	}, "\n")
	vars, bad, err := ParseEnvironmentFile(strings.NewReader(src))
	require.NoError(t, err)
	assert.Equal(t, []EnvVar{
		{"SSHD_OPTS", ""},
		{"SPACED", "value with  inner  spaces"},
		{"SINGLE", `a "b" \c $d`},
		{"DOUBLE", `a "b" \c $d \n`},
		{"JOINED", "xyz"},
		{"CONT", "onetwo"},
		{"ESC", "a b#"},
		{"LAST", "end"},
	}, vars)
	assert.Equal(t, []string{`line 11: no '=' after "NOEQUALS"`, `line 12: invalid variable name "9BAD"`}, bad)
}

func TestParseEnvironmentFile_ReadsDebianDefaultFiles(t *testing.T) {
	// /etc/default/ssh and /etc/default/cron as Debian 12 ships them.
	for file, want := range map[string][]EnvVar{
		"ssh":  {{"SSHD_OPTS", ""}},
		"cron": {{"READ_ENV", "yes"}},
	} {
		f, err := os.Open(filepath.Join(debianRoot, "etc/default", file))
		require.NoError(t, err)
		vars, bad, err := ParseEnvironmentFile(f)
		f.Close()
		require.NoError(t, err)
		assert.Empty(t, bad, file)
		assert.Equal(t, want, vars, file)
	}
}

func FuzzParseEnvironmentFile(f *testing.F) {
	f.Add("A=1\nB='x'\"y\"\\\nz\n# c\\\nC=3")
	f.Fuzz(func(t *testing.T, src string) {
		vars, _, err := ParseEnvironmentFile(strings.NewReader(src))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vars {
			if !validEnvName(v.Name) {
				t.Fatalf("invalid name %q returned", v.Name)
			}
		}
	})
}
