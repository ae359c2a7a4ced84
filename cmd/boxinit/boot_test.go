package main

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/testutil"
)

// bootTree is a Debian-like root for --root with the given rc.env.
func bootTree(t *testing.T, rcEnv string) string {
	root := t.TempDir()
	require.NoError(t, os.CopyFS(root, os.DirFS("../../testdata/roots/debian")))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/rc.env"), []byte(rcEnv), 0o644))
	return root
}

func TestCheck_ListsEveryProblemAndExits78(t *testing.T) {
	root := bootTree(t, "DEFAULT_USER=\"Bad User\"\nSET_HOSTNAME=a_b\n")
	out, err := exec.Command(boxinitBin, "check", "--root="+root).CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, exitConfig, ee.ExitCode())
	assert.Contains(t, string(out), `/etc/rc.env:1: DEFAULT_USER \"Bad User\": must match`)
	assert.Contains(t, string(out), `/etc/rc.env:2: SET_HOSTNAME \"a_b\"`)
	entries, _ := os.ReadDir(filepath.Join(root, "etc"))
	assert.Len(t, entries, 7, "check changes nothing")

	root = bootTree(t, "DEFAULT_USER=human\n")
	out, err = exec.Command(boxinitBin, "check", "--root="+root).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "configuration ok")
}

func TestInit_ABadRcEnvExits78BeforeChangingOrStartingAnything(t *testing.T) {
	root := bootTree(t, "DEFAULT_USER=\"Bad User\"\n")
	marker := filepath.Join(t.TempDir(), "main-ran")
	p := startInit(t, "--root="+root, "--", "touch", marker)
	code, _ := p.wait(10 * time.Second)
	assert.Equal(t, exitConfig, code)
	assert.NoFileExists(t, marker)
	assert.NoFileExists(t, filepath.Join(root, "ready"))
	assert.NotContains(t, readFileT(t, filepath.Join(root, "etc/passwd")), "Bad")
}

func TestInit_BootsThenRunsTheMainCommandWithTheMergedEnvironment(t *testing.T) {
	root := bootTree(t, "DEFAULT_USER=human\nGREETING=\"hello from rc.env\"\n")
	dir := t.TempDir()
	// startInit's --ready-file comes first; this one, later, wins.
	p := startInit(t, "--root="+root, "--ready-file=/ready", "--", "sh", "-c",
		"test -e "+root+"/ready && echo \"$GREETING\" > "+dir+"/seen")
	code, _ := p.wait(20 * time.Second)
	assert.Equal(t, 0, code, "the ready file existed when the main command ran")
	assert.Equal(t, "hello from rc.env\n", readFileT(t, dir+"/seen"))
	assert.NoFileExists(t, filepath.Join(root, "ready"), "removed at shutdown")
	assert.Contains(t, readFileT(t, filepath.Join(root, "etc/passwd")), "human:x:1000:1000::/home/human:")
}

func TestInit_SIGTERMDuringASlowKeyFetchStopsTheBootWithoutReady(t *testing.T) {
	var asked atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Store(true)
		<-r.Context().Done() // never answers
	}))
	defer srv.Close()
	root := bootTree(t, "DEFAULT_USER=human\nDEFAULT_KEY_IMPORT=gh:alice\n")
	marker := filepath.Join(t.TempDir(), "main-ran")
	p := startInit(t, "--root="+root, "--ready-file=/ready", "--github-url="+srv.URL, "--", "touch", marker)
	eventually(t, 10*time.Second, "the key fetch started", asked.Load)
	p.signal(syscall.SIGTERM)
	code, _ := p.wait(10 * time.Second)
	assert.Equal(t, 143, code)
	assert.NoFileExists(t, marker, "the main command never started")
	assert.NoFileExists(t, filepath.Join(root, "ready"))
	assert.NoDirExists(t, filepath.Join(root, "home/human/.ssh"), "no partial key file")
}

// bootCmd runs `boxinit boot` in a PID namespace of its own: a failed boot
// runs the shutdown sequence.
func bootCmd(root string) *exec.Cmd {
	return exec.Command("unshare", "--pid", "--fork", "--mount-proc", boxinitBin, "boot", "--root="+root)
}

func TestBootCommand_ExitsZeroAfterABootAndOneAfterAFailedHook(t *testing.T) {
	testutil.RequireRoot(t)
	root := bootTree(t, "DEFAULT_USER=human\n")
	out, err := bootCmd(root).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.FileExists(t, filepath.Join(root, "ready"))
	for _, step := range []string{"hostname", "sshd", "user", "keys", "hooks", "customize", "ready"} {
		assert.Contains(t, string(out), "step="+step, "one log line per step")
	}

	hooks := filepath.Join(root, "etc/boxinit.d")
	require.NoError(t, os.MkdirAll(hooks, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(hooks, "50-broken"), []byte("#!/bin/sh\nexit 4\n"), 0o755))
	out, err = bootCmd(root).CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "%s", out)
	assert.Equal(t, exitFailed, ee.ExitCode())
	assert.Contains(t, string(out), "boot: hooks: hook /etc/boxinit.d/50-broken exited with 4")
	assert.NoFileExists(t, filepath.Join(root, "ready"))
}

// With --root DIR, the commands of the boot run in the tree, not in the
// host's directories of the same name: a hook in DIR's "/", the
// customization as the user in its home inside DIR (which the host may not
// have at all).
func TestBootCommand_WithRootRunsHooksAndTheCustomizationInsideTheTree(t *testing.T) {
	testutil.RequireRoot(t)
	out := t.TempDir() // where the commands say where they ran
	require.NoError(t, os.Chmod(out, 0o777))
	root := bootTree(t, "DEFAULT_USER=human\nCUSTOMIZE_COMMAND='pwd > "+out+"/customize; echo $HOME > "+out+"/home'\n")
	testutil.OpenToOthers(t, root) // uid 1000 reaches its home
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/rc.user"), []byte("pwd > "+out+"/rc.user\n"), 0o644))
	hooks := filepath.Join(root, "etc/boxinit.d")
	require.NoError(t, os.MkdirAll(hooks, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(hooks, "10-where"), []byte("#!/bin/sh\npwd > "+out+"/hook\n"), 0o755))
	_, err := os.Stat("/home/human")
	require.ErrorIs(t, err, fs.ErrNotExist, "the host has no /home/human: a command run there could not start")

	b, err := bootCmd(root).CombinedOutput()
	require.NoError(t, err, "%s", b)
	assert.Contains(t, string(b), `msg="boot step done" step=customize outcome=ok`, "a failed customization is only a warning: it must not fail")
	assert.Equal(t, root+"\n", readFileT(t, filepath.Join(out, "hook")), "a hook runs in the tree's /")
	assert.Equal(t, filepath.Join(root, "home/human")+"\n", readFileT(t, filepath.Join(out, "customize")), "CUSTOMIZE_COMMAND runs in the home inside the tree")
	assert.Equal(t, filepath.Join(root, "home/human")+"\n", readFileT(t, filepath.Join(out, "rc.user")), "rc.user too")
	assert.Equal(t, "/home/human\n", readFileT(t, filepath.Join(out, "home")), "HOME is the passwd entry, as the tree has it")
}

func readFileT(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func TestCheck_ListsBadCrontabLinesAndExits78(t *testing.T) {
	root := bootTree(t, "")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc/cron.d"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/cron.d/app"),
		[]byte("0 3 * * * root backup\n61 * * * * root bad-minute\n@daily nobody-here x\n"), 0o644))
	out, err := exec.Command(boxinitBin, "check", "--root="+root).CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "%s", out)
	assert.Equal(t, exitConfig, ee.ExitCode())
	assert.Contains(t, string(out), "job=/etc/cron.d/app:2")
	assert.Contains(t, string(out), "job=/etc/cron.d/app:3")
	assert.Contains(t, string(out), `unknown user \"nobody-here\"`)
	assert.Contains(t, string(out), "2 crontab lines are wrong")
}

func TestCheck_AHookOthersCanWriteExitsWithConfigErrorNamingItAndWhy(t *testing.T) {
	root := bootTree(t, "")
	hook := filepath.Join(root, "etc/boxinit.d/10-motd")
	writeFile(t, hook, "#!/bin/sh\n")
	require.NoError(t, os.Chmod(hook, 0o777))
	cmd := exec.Command(boxinitBin, "check", "--root="+root, "--cron=")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, stderr.String())
	require.Equal(t, exitConfig, ee.ExitCode(), stderr.String())
	require.Contains(t, stderr.String(), "boxinit: hook /etc/boxinit.d/10-motd refused: ")
	require.Contains(t, stderr.String(), "10-motd is writable by group or others (mode 0777)")
}
