package boot

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/boxinit/boxinit/internal/reaper"
	"github.com/boxinit/boxinit/internal/testutil"
	"github.com/boxinit/boxinit/internal/testutil/testreaper"
)

func starter(t *testing.T) Starter { return testreaper.Get(t) }

// command runs argv through the test process's reaper (testreaper.Run)
// and returns its output and exit code.
func command(t *testing.T, argv ...string) (string, int) {
	t.Helper()
	return testreaper.Run(t, &reaper.Cmd{Args: argv})
}

func pubKey(t testing.TB, comment string) string {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	sp, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " " + comment
}

// keyServer serves gh:NAME keys from a map the test may change.
type keyServer struct {
	*httptest.Server
	mu   sync.Mutex
	keys map[string]string
	hang chan struct{} // when set, requests wait for it
}

func newKeyServer(t *testing.T) *keyServer {
	ks := &keyServer{keys: map[string]string{}}
	ks.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.mu.Lock()
		body, ok := ks.keys[r.URL.Path]
		hang := ks.hang
		ks.mu.Unlock()
		if hang != nil {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
			return
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(ks.Close)
	return ks
}

func (ks *keyServer) set(path, body string) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.keys[path] = body
}

// bootRoot is a Debian-like root with rc.env, rc.user and hooks, readable
// by uid 1000 all the way down (commands as the user run on the real file
// system).
func bootRoot(t *testing.T, rcEnv string) Flags {
	testutil.RequireRoot(t)
	f := testRoot(t, []byte(rcEnv))
	testutil.OpenToOthers(t, f.Root) // uid 1000 reaches its home
	return f
}

func runBoot(t *testing.T, f Flags, environ []string) ([]Result, error) {
	t.Helper()
	c, err := Load(f, environ)
	require.NoError(t, err)
	var results []Result
	b := New(c, slog.New(slog.NewTextHandler(io.Discard, nil)), starter(t))
	b.importer.Backoff = 10 * time.Millisecond
	err = b.Run(context.Background(), func(r Result) { results = append(results, r) })
	return results, err
}

// A Kubernetes ConfigMap volume holds each key as a symlink into a
// hidden, timestamped directory, through ..data.
func TestBoot_RunsHooksFromAConfigMapVolumeAndIgnoresItsHiddenEntries(t *testing.T) {
	f := testRoot(t, nil)
	out := t.TempDir()
	hooks := filepath.Join(f.Root, "etc/boxinit.d")
	data := filepath.Join(hooks, "..2026_11_23_03_00_00.1")
	require.NoError(t, os.MkdirAll(data, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(data, "10-motd"), []byte("#!/bin/sh\necho motd >> $OUT/hooks\n"), 0o755))
	require.NoError(t, os.Symlink(filepath.Base(data), filepath.Join(hooks, "..data")))
	require.NoError(t, os.Symlink("..data/10-motd", filepath.Join(hooks, "10-motd")))

	results, err := runBoot(t, f, []string{"OUT=" + out, "PATH=/usr/bin:/bin"})
	require.NoError(t, err, "%+v", results)
	assert.Equal(t, "motd\n", readFile(t, filepath.Join(out, "hooks")), "the hook ran once")
	for _, r := range results {
		if r.Step == "hooks" {
			assert.Equal(t, "ran 1: 10-motd", r.Message, "..data and the timestamped directory are not reported")
		}
	}
}

func outcomes(rs []Result) map[string]Outcome {
	out := map[string]Outcome{}
	for _, r := range rs {
		out[r.Step] = r.Outcome
	}
	return out
}

// gitRepo makes a repository owned by uid 1000 (git refuses to serve a
// repository of another owner) with one file. git runs through the
// reaper: this test process has one owner of wait4.
func gitRepo(t *testing.T) string {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("requires git")
	}
	dir := filepath.Join(t.TempDir(), "repo")
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	git := func(args ...string) {
		args = append([]string{"git", "-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)
		p, err := starter(t).Start(&reaper.Cmd{Args: args, Dir: filepath.Dir(dir)})
		require.NoError(t, err)
		require.Equal(t, 0, p.ExitCode(), "%v", args)
	}
	git("init", "-q", dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "setup.sh"), []byte("echo from-repo > \"$OUT/repo\"\n"), 0o644))
	git("-C", dir, "add", ".")
	git("-C", dir, "commit", "-q", "-m", "setup")
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			err = os.Lchown(p, 1000, 1000)
		}
		return err
	}))
	return dir
}

func TestBoot_ConfiguresTheWholeSystemAndRunsTheCustomizationAsTheUser(t *testing.T) {
	ks := newKeyServer(t)
	imported, literal := pubKey(t, "imported"), pubKey(t, "literal")
	ks.set("/alice.keys", imported+"\n")
	out := t.TempDir() // where the customization reports what it saw
	require.NoError(t, os.Chmod(out, 0o777))
	repo := gitRepo(t)
	f := bootRoot(t, fmt.Sprintf(`DEFAULT_USER="human" 
DEFAULT_KEY="%s" 
DEFAULT_KEY_IMPORT="gh:alice" 
SET_HOSTNAME="box-1" 
CUSTOMIZE_REPO="%s" 
CUSTOMIZE_CMD="sh setup.sh" 
CUSTOMIZE_COMMAND="id -u > $OUT/uid; id -G > $OUT/groups; pwd > $OUT/cwd; echo $GREETING > $OUT/env" 
`, literal, repo))
	f.GitHubURL = ks.URL
	require.NoError(t, os.WriteFile(filepath.Join(f.Root, "etc/rc.user"), []byte("echo rc.user as $(id -un 2>/dev/null || id -u) > $OUT/rcuser\n"), 0o600))
	hooks := filepath.Join(f.Root, "etc/boxinit.d")
	require.NoError(t, os.MkdirAll(hooks, 0o755))
	for name, mode := range map[string]os.FileMode{"20-second": 0o755, "10-first": 0o755, "30-not-executable": 0o644, ".hidden": 0o755} {
		require.NoError(t, os.WriteFile(filepath.Join(hooks, name), []byte("#!/bin/sh\necho "+name+" $(id -u) >> $OUT/hooks\n"), mode))
	}
	require.NoError(t, os.WriteFile(filepath.Join(f.Root, "ready"), nil, 0o644)) // stale from a previous run

	results, err := runBoot(t, f, []string{"OUT=" + out, "GREETING=hello", "PATH=/usr/local/bin:/usr/bin:/bin"})
	require.NoError(t, err, "%+v", results)
	assert.Equal(t, StepNames(), func() []string {
		var s []string
		for _, r := range results {
			s = append(s, r.Step)
		}
		return s
	}())
	assert.Equal(t, map[string]Outcome{"hostname": Changed, "sshd": Skipped, "user": Changed, "keys": Changed, "hooks": OK, "customize": OK, "ready": Changed},
		outcomes(results), "%+v", results)

	assert.FileExists(t, filepath.Join(f.Root, "ready"))
	assert.Contains(t, readFile(t, filepath.Join(f.Root, "etc/passwd")), "human:x:1000:1000::/home/human:/bin/sh\n")
	assert.Contains(t, readFile(t, filepath.Join(f.Root, "etc/sudoers.d/human")), "human ALL=(ALL) NOPASSWD:ALL\n")
	assert.Equal(t, literal+" # boxinit DEFAULT_KEY\n"+imported+" # boxinit gh:alice\n",
		readFile(t, filepath.Join(f.Root, "home/human/.ssh/authorized_keys")))
	assert.Equal(t, "box-1\n", readFile(t, filepath.Join(f.Root, "etc/hostname")))

	assert.Equal(t, "10-first 0\n20-second 0\n", readFile(t, filepath.Join(out, "hooks")), "lexical order, as root, only executables")
	assert.Equal(t, "1000\n", readFile(t, filepath.Join(out, "uid")))
	assert.Equal(t, "1000 4\n", readFile(t, filepath.Join(out, "groups")))
	assert.Equal(t, filepath.Join(f.Root, "home/human")+"\n", readFile(t, filepath.Join(out, "cwd")))
	assert.Equal(t, "hello\n", readFile(t, filepath.Join(out, "env")), "the merged environment reaches the user's commands")
	assert.Equal(t, "from-repo\n", readFile(t, filepath.Join(out, "repo")), "CUSTOMIZE_CMD ran inside the clone")
	assert.Contains(t, readFile(t, filepath.Join(out, "rcuser")), "rc.user as ", "a 0600 root-owned rc.user still runs as the user")
	assert.NotContains(t, readFile(t, filepath.Join(out, "rcuser")), "as 0")
	leftovers, _ := filepath.Glob(filepath.Join(f.Root, "tmp", "boxinit-*"))
	assert.Empty(t, leftovers, "temporary clone and script copies are removed")
}

// snapshotFiles maps the files under root/etc and the home's .ssh to
// content and mtime.
func snapshotFiles(t *testing.T, root string) map[string]string {
	out := map[string]string{}
	for _, dir := range []string{"etc", "home/human/.ssh"} {
		_ = filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && d.Name() != ".pwd.lock" {
				fi, _ := d.Info()
				out[p] = fi.ModTime().String() + "|" + readFile(t, p)
			}
			return nil
		})
	}
	return out
}

func TestBoot_ASecondBootChangesNoFileAndSaysOK(t *testing.T) {
	ks := newKeyServer(t)
	ks.set("/alice.keys", pubKey(t, "a")+"\n")
	f := bootRoot(t, "DEFAULT_USER=human\nSET_HOSTNAME=box-1\nDEFAULT_KEY_IMPORT=gh:alice\nDEFAULT_KEY=\""+pubKey(t, "lit")+"\"\n")
	f.GitHubURL = ks.URL
	_, err := runBoot(t, f, nil)
	require.NoError(t, err)
	before := snapshotFiles(t, f.Root)
	time.Sleep(20 * time.Millisecond)

	results, err := runBoot(t, f, nil)
	require.NoError(t, err)
	assert.Equal(t, before, snapshotFiles(t, f.Root))
	for _, r := range results {
		if r.Step != "ready" {
			assert.Contains(t, []Outcome{OK, Skipped}, r.Outcome, "%+v", r)
		}
	}
}

func TestBoot_APersistentHomeSurvivesAFreshEtc(t *testing.T) {
	ks := newKeyServer(t)
	k1, k2, byHand := pubKey(t, "one"), pubKey(t, "two"), pubKey(t, "by-hand")
	ks.set("/alice.keys", k1+"\n"+k2+"\n")
	f := bootRoot(t, "DEFAULT_USER=human\nDEFAULT_KEY_IMPORT=gh:alice\n")
	f.GitHubURL = ks.URL
	_, err := runBoot(t, f, nil)
	require.NoError(t, err)
	home := filepath.Join(f.Root, "home/human")
	require.NoError(t, os.WriteFile(filepath.Join(home, "work.txt"), []byte("mine"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(home, ".bashrc"))) // the user's choice
	ak := filepath.Join(home, ".ssh/authorized_keys")
	require.NoError(t, os.WriteFile(ak, []byte(readFile(t, ak)+byHand+"\n"), 0o600))

	// The pod restarts: /etc is the image's again, /home is the volume.
	require.NoError(t, os.RemoveAll(filepath.Join(f.Root, "etc")))
	require.NoError(t, os.CopyFS(filepath.Join(f.Root, "etc"), os.DirFS("../../testdata/roots/debian/etc")))
	require.NoError(t, os.WriteFile(filepath.Join(f.Root, "etc/rc.env"), []byte("DEFAULT_USER=human\nDEFAULT_KEY_IMPORT=gh:alice\n"), 0o644))
	ks.set("/alice.keys", k2+"\n") // k1 was removed upstream

	results, err := runBoot(t, f, nil)
	require.NoError(t, err, "%+v", results)
	assert.Contains(t, readFile(t, filepath.Join(f.Root, "etc/passwd")), "human:x:1000:1000::/home/human:")
	assert.Equal(t, "mine", readFile(t, filepath.Join(home, "work.txt")))
	assert.NoFileExists(t, filepath.Join(home, ".bashrc"), "an existing home is not re-seeded from /etc/skel")
	assert.Equal(t, byHand+"\n"+k2+" # boxinit gh:alice\n", readFile(t, ak))
}

func TestBoot_AFailingCustomizationIsAWarningAndBootEndsReady(t *testing.T) {
	f := bootRoot(t, "DEFAULT_USER=human\nCUSTOMIZE_COMMAND=\"exit 3\"\n")
	results, err := runBoot(t, f, nil)
	require.NoError(t, err)
	assert.Equal(t, Warning, outcomes(results)["customize"])
	for _, r := range results {
		if r.Step == "customize" {
			assert.Contains(t, r.Message, "CUSTOMIZE_COMMAND exited with 3")
		}
	}
	assert.FileExists(t, filepath.Join(f.Root, "ready"))
}

func TestBoot_AFailingHookStopsTheBootWithoutReady(t *testing.T) {
	f := bootRoot(t, "")
	hooks := filepath.Join(f.Root, "etc/boxinit.d")
	require.NoError(t, os.MkdirAll(hooks, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(hooks, "10-fail"), []byte("#!/bin/sh\necho failing\nexit 3\n"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(f.Root, "ready"), nil, 0o644)) // stale

	results, err := runBoot(t, f, nil)
	require.Error(t, err)
	assert.Equal(t, "boot: hooks: hook /etc/boxinit.d/10-fail exited with 3", err.Error())
	assert.Equal(t, Failed, outcomes(results)["hooks"])
	assert.NotContains(t, outcomes(results), "customize", "no step after a fatal one")
	assert.NoFileExists(t, filepath.Join(f.Root, "ready"), "the stale ready file is gone too")
}

func TestBoot_AStopDuringASlowKeyFetchLeavesNoReadyAndAuthorizedKeysAsItWas(t *testing.T) {
	ks := newKeyServer(t)
	k := pubKey(t, "first")
	ks.set("/alice.keys", k+"\n")
	f := bootRoot(t, "DEFAULT_USER=human\nDEFAULT_KEY_IMPORT=gh:alice\n")
	f.GitHubURL = ks.URL
	_, err := runBoot(t, f, nil)
	require.NoError(t, err)
	ak := filepath.Join(f.Root, "home/human/.ssh/authorized_keys")
	before := readFile(t, ak)

	ks.mu.Lock()
	ks.hang = make(chan struct{})
	ks.mu.Unlock()
	defer close(ks.hang)
	c, err := Load(f, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel) // SIGTERM arrives
	start := time.Now()
	err = New(c, slog.New(slog.NewTextHandler(io.Discard, nil)), starter(t)).Run(ctx, nil)
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second, "the stop is not held up by the fetch")
	assert.Contains(t, err.Error(), "boot: keys: context canceled")
	assert.NoFileExists(t, filepath.Join(f.Root, "ready"))
	assert.Equal(t, before, readFile(t, ak))
	entries, _ := os.ReadDir(filepath.Dir(ak))
	assert.Len(t, entries, 1, "no partial file beside authorized_keys")
}

func TestBoot_TheKeysStepCountsTheKeysAndTheSourcesItWasGiven(t *testing.T) {
	ks := newKeyServer(t)
	ks.set("/alice.keys", pubKey(t, "a1")+"\n"+pubKey(t, "a2")+"\n")
	for rcEnv, want := range map[string]string{
		"DEFAULT_USER=human\n": "no keys: DEFAULT_KEY and DEFAULT_KEY_IMPORT are unset",
		"DEFAULT_USER=human\nDEFAULT_KEY=\"" + pubKey(t, "lit") + "\"\n":                            "1 key from 1 source",
		"DEFAULT_USER=human\nDEFAULT_KEY_IMPORT=gh:alice\nDEFAULT_KEY=\"" + pubKey(t, "l") + "\"\n": "3 keys from 2 sources",
	} {
		f := bootRoot(t, rcEnv)
		f.GitHubURL = ks.URL
		results, err := runBoot(t, f, nil)
		require.NoError(t, err)
		for _, r := range results {
			if r.Step == "keys" {
				assert.Equal(t, want, r.Message, rcEnv)
			}
		}
	}
}

// Hooks run as root: a hook that someone other than root could have
// written is root running their code. Boot refuses it before running any
// hook, names the file and why, and leaves no ready file.
func TestBoot_RefusesAHookThatSomeoneOtherThanRootCouldHaveChanged(t *testing.T) {
	testutil.RequireRoot(t) // files of another owner
	for _, tc := range []struct {
		name, why string
		setup     func(t *testing.T, hooks string)
	}{
		{"world-writable", "is writable by group or others (mode 0777)", func(t *testing.T, hooks string) {
			p := filepath.Join(hooks, "20-bad")
			require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\ntouch $OUT/bad\n"), 0o755))
			require.NoError(t, os.Chmod(p, 0o777))
		}},
		{"group-writable ConfigMap file", "is writable by group or others (mode 0775)", func(t *testing.T, hooks string) {
			data := filepath.Join(hooks, "..2026_12_02_00_00_00.1")
			require.NoError(t, os.MkdirAll(data, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(data, "20-bad"), []byte("#!/bin/sh\ntouch $OUT/bad\n"), 0o755))
			require.NoError(t, os.Chmod(filepath.Join(data, "20-bad"), 0o775))
			require.NoError(t, os.Symlink(filepath.Base(data), filepath.Join(hooks, "..data")))
			require.NoError(t, os.Symlink("..data/20-bad", filepath.Join(hooks, "20-bad")))
		}},
		{"owned by a user", "is owned by uid 1000, not root", func(t *testing.T, hooks string) {
			p := filepath.Join(hooks, "20-bad")
			require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\ntouch $OUT/bad\n"), 0o755))
			require.NoError(t, os.Chown(p, 1000, 1000))
		}},
		{"a link into a user's directory", "is owned by uid 1000, not root", func(t *testing.T, hooks string) {
			home := filepath.Join(filepath.Dir(filepath.Dir(hooks)), "home/human/bin")
			require.NoError(t, os.MkdirAll(home, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(home, "hook"), []byte("#!/bin/sh\ntouch $OUT/bad\n"), 0o755))
			require.NoError(t, os.Chown(filepath.Dir(home), 1000, 1000))
			require.NoError(t, os.Symlink(filepath.Join(home, "hook"), filepath.Join(hooks, "20-bad")))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := bootRoot(t, "")
			out := t.TempDir()
			hooks := filepath.Join(f.Root, "etc/boxinit.d")
			require.NoError(t, os.MkdirAll(hooks, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(hooks, "10-good"), []byte("#!/bin/sh\ntouch $OUT/good\n"), 0o755))
			tc.setup(t, hooks)
			cfg, err := Load(f, []string{"PATH=/usr/bin:/bin"})
			require.NoError(t, err)
			assert.Len(t, HookProblems(cfg), 1, "boxinit check finds it")

			results, err := runBoot(t, f, []string{"OUT=" + out, "PATH=/usr/bin:/bin"})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "hook /etc/boxinit.d/20-bad refused: ")
			assert.Contains(t, err.Error(), tc.why)
			assert.Equal(t, Failed, outcomes(results)["hooks"])
			assert.NoFileExists(t, filepath.Join(out, "bad"))
			assert.NoFileExists(t, filepath.Join(out, "good"), "no hook runs when one is refused")
			assert.NoFileExists(t, filepath.Join(f.Root, "ready"))
		})
	}
}

// A step running ahead (here a fake with ahead 3) overlaps the next steps and has ended
// before the hooks start (a root hook may read /etc/hostname); the results
// still come in step order, and a fatal failure while it runs stops the
// boot once its result is given. Fake steps record what ran at once.
func TestBoot_AStepRunningAheadOverlapsTheNextStepsButNotTheOneAfter(t *testing.T) {
	for _, failUser := range []bool{false, true} {
		f := testRoot(t, nil)
		c, err := Load(f, nil)
		require.NoError(t, err)
		b := New(c, slog.New(slog.NewTextHandler(io.Discard, nil)), starter(t))

		release := make(chan struct{}) // the hostname step ends when keys has run
		var mu sync.Mutex
		var ran []string
		mark := func(s string) { mu.Lock(); ran = append(ran, s); mu.Unlock() }
		fake := func(name string, fatal bool, ahead int, fail bool) step {
			return step{name, fatal, ahead, func(*Boot, context.Context) (Outcome, string, error) {
				switch {
				case name == "hostname":
					select {
					case <-release:
					case <-time.After(100 * time.Millisecond): // failUser: keys never runs
					}
					mark("hostname ended")
					return OK, "", nil
				}
				mark(name)
				switch {
				case name == "keys":
					close(release)
				case fail:
					return fail2(name)
				}
				return OK, "", nil
			}}
		}
		old := steps
		steps = []step{
			fake("hostname", false, 3, false), fake("sshd", true, 0, false), fake("user", true, 0, failUser),
			fake("keys", false, 0, false), fake("hooks", true, 0, false), fake("ready", true, 0, false),
		}
		var given []string
		err = b.Run(context.Background(), func(r Result) { given = append(given, r.Step+":"+string(r.Outcome)) })
		steps = old

		if failUser {
			require.EqualError(t, err, "boot: user: user failed")
			assert.Equal(t, []string{"sshd", "user", "hostname ended"}, ran)
			assert.Equal(t, []string{"hostname:ok", "sshd:ok", "user:failed"}, given, "the step ahead reports first")
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, []string{"sshd", "user", "keys", "hostname ended", "hooks", "ready"}, ran,
			"sshd, user and keys ran while hostname did (it waited for keys); hooks only after it")
		assert.Equal(t, []string{"hostname:ok", "sshd:ok", "user:ok", "keys:ok", "hooks:ok", "ready:ok"}, given)
	}
}

func fail2(name string) (Outcome, string, error) { return fail(fmt.Errorf("%s failed", name)) }

// A stop (SIGTERM) while the hostname step runs ahead: every step that ran
// is still reported, in order, and Run returns only once the step running
// ahead has ended.
func TestBoot_AStopWhileAStepRunsAheadReportsEveryStepThatRan(t *testing.T) {
	f := testRoot(t, nil)
	c, err := Load(f, nil)
	require.NoError(t, err)
	b := New(c, slog.New(slog.NewTextHandler(io.Discard, nil)), starter(t))
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var hostnameEnded atomic.Bool
	ok := func(*Boot, context.Context) (Outcome, string, error) { return OK, "", nil }
	old := steps
	steps = []step{
		{"hostname", false, 3, func(_ *Boot, ctx context.Context) (Outcome, string, error) {
			<-ctx.Done()
			time.Sleep(50 * time.Millisecond) // it takes a while to end
			hostnameEnded.Store(true)
			return OK, "", nil
		}},
		{"sshd", true, 0, ok}, {"user", true, 0, ok},
		{"keys", false, 0, func(*Boot, context.Context) (Outcome, string, error) { stop(); return OK, "", nil }},
		{"hooks", true, 0, ok}, {"ready", true, 0, ok},
	}
	var given []string
	err = b.Run(ctx, func(r Result) { given = append(given, r.Step+":"+string(r.Outcome)) })
	steps = old
	require.EqualError(t, err, "boot: hostname: context canceled")
	assert.True(t, hostnameEnded.Load(), "Run returned while hostname still ran")
	assert.Equal(t, []string{"hostname:failed", "sshd:ok", "user:ok", "keys:failed"}, given)
}
