package boot

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/reaper"
)

// bashValues sources file in bash and returns the values of names, the
// reference that rc.env must load as.
func bashValues(t *testing.T, file string, names []string) map[string]string {
	t.Helper()
	script := `. "$1"; shift; for n; do printf '%s\0' "${!n}"; done`
	out, err := os.Create(file + ".out")
	require.NoError(t, err)
	defer out.Close()
	// Through the test's reaper, the one owner of wait4 in this process.
	p, err := starter(t).Start(&reaper.Cmd{Args: append([]string{"bash", "-c", script, "bash", file}, names...),
		Env: []string{"PATH=/usr/bin:/bin", "ONLY_IN_ENV=from-env"}, Stdout: out})
	require.NoError(t, err)
	require.Equal(t, 0, p.ExitCode())
	b, err := os.ReadFile(file + ".out")
	require.NoError(t, err)
	vals := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
	got := map[string]string{}
	for i, n := range names {
		got[n] = vals[i]
	}
	return got
}

func TestParseEnvFile_LoadsWhatBashLoads(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("requires bash")
	}
	for _, text := range []string{
		"DEFAULT_USER_SUDO='ALL'\n",
		"DEFAULT_USER_SUDO='ALL=(ALL:ALL) ALL'\n",
		"A='C:\\'\n",
		"A='it'\"'\"'s'\n",
		"A=\"a \\\"quoted\\\" \\$HOME \\\\ \\x\"\n",
		"A=plain\\ word\n",
		"export A=\"x\" \nB='y'   # comment\n",
		"A=one\nB=\"$A two ${A}three\"\n",
		"A=\"multi\nline\"\nB='also\nmulti'\n",
		"A=\"$NOT_SET-x\"\n",
		"A=\"$ONLY_IN_ENV\"\n",
		"A=\"cost \\$5 and $\"\n",
		"A=\"\"\nB=''\n",
		"A=\"line \\\ncontinued\"\n",
		"\n  # indented comment\n\tA=tabbed\n",
	} {
		t.Run(text, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "rc.env")
			require.NoError(t, os.WriteFile(file, []byte(text), 0o644))
			env := map[string]string{"ONLY_IN_ENV": "from-env"}
			f, err := parseEnvFile("rc.env", []byte(text), env)
			require.NoError(t, err)
			names := make([]string, 0, len(f.values))
			for n := range f.values {
				names = append(names, n)
			}
			slices.Sort(names)
			assert.Equal(t, bashValues(t, file, names), f.values)
		})
	}
}

func TestParseEnvFile_EveryErrorCarriesTheLineNumber(t *testing.T) {
	for text, want := range map[string]string{
		"A=1\nB='open\n\n":           `rc.env:2: B: the ' quote is never closed`,
		"A=1\n\nB=\"open\n":          `rc.env:3: B: the " quote is never closed`,
		"A=1\nB=$(id)\n":             "rc.env:2: B: command substitution is not supported",
		"A=1\nB=\"`id`\"\n":          "rc.env:2: B: command substitution is not supported",
		"A=1\nB=${A:-x}\n":           "rc.env:2: B: only ${NAME} is supported",
		"A=1\nB=two words\n":         "rc.env:2: B: more after the value",
		"A=1\nB=x;reboot\n":          `rc.env:2: B: ';' outside quotes is shell syntax`,
		"A=1\nthis is not one\n":     "rc.env:2: not a NAME=value line",
		"A=1\n9X=1\n":                "rc.env:2: not a NAME=value line",
		"A=\"x\ny\"\nB=\"z\" junk\n": "rc.env:3: B: more after the value",
	} {
		_, err := parseEnvFile("rc.env", []byte(text), nil)
		require.Error(t, err, text)
		assert.Contains(t, err.Error(), want, text)
	}
}

func TestLoad_RefusesAnRcEnvThatIsAFIFOOrTooLargeInsteadOfBlocking(t *testing.T) {
	f := testRoot(t, nil)
	fifo := filepath.Join(f.Root, "etc/rc.env")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	_, err := Load(f, nil)
	assert.Equal(t, []string{"/etc/rc.env: is not a regular file (p---------); refusing to read it"}, problems(t, err))

	require.NoError(t, os.Remove(fifo))
	require.NoError(t, os.WriteFile(fifo, []byte("A="+strings.Repeat("x", 1<<20)+"\n"), 0o644))
	_, err = Load(f, nil)
	assert.Equal(t, []string{"/etc/rc.env: larger than 1048576 bytes; refusing to read it"}, problems(t, err))
}

func TestLoad_FollowsAConfigMapsSymlinkedRcEnv(t *testing.T) {
	f := testRoot(t, nil)
	dir := filepath.Join(f.Root, "etc/..data")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rc.env"), []byte("SET_HOSTNAME=box\n"), 0o644))
	require.NoError(t, os.Symlink("..data/rc.env", filepath.Join(f.Root, "etc/rc.env")))
	c, err := Load(f, nil)
	require.NoError(t, err)
	assert.Equal(t, "box", c.Hostname)
}
