package boot

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/testutil"
)

// bootLogged runs a boot of f and returns its results, its error and its log.
func bootLogged(t *testing.T, f Flags, run func(b *Boot)) ([]Result, string, error) {
	t.Helper()
	c, err := Load(f, []string{"PATH=/usr/bin:/bin"})
	require.NoError(t, err)
	var log testutil.SyncBuffer
	b := New(c, slog.New(slog.NewTextHandler(&log, nil)), starter(t))
	b.importer.Backoff = 10 * time.Millisecond
	if run != nil {
		run(b)
	}
	var results []Result
	err = b.Run(context.Background(), func(r Result) { results = append(results, r) })
	return results, log.String(), err
}

func writeHook(t *testing.T, f Flags, name, script string) {
	hooks := filepath.Join(f.Root, "etc/boxinit.d")
	require.NoError(t, os.MkdirAll(hooks, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(hooks, name), []byte("#!/bin/sh\n"+script), 0o755))
}

func TestBoot_AHookThatNeverExitsIsStoppedAtItsTimeoutAndShownWhileItRuns(t *testing.T) {
	f := bootRoot(t, "")
	f.CommandTimeout = 700 * time.Millisecond
	out := filepath.Join(t.TempDir(), "trap")
	// The hook ignores nothing: SIGTERM ends it. Its background child too.
	writeHook(t, f, "10-hang", "sleep 600 & trap 'echo term > "+out+"; exit 1' TERM\nwait\n")
	seen := make(chan *Running, 1)
	results, log, err := bootLogged(t, f, func(b *Boot) {
		go func() {
			for range 100 {
				if r := b.Running(); r != nil {
					seen <- r
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
			seen <- nil
		}()
	})
	require.Error(t, err)
	assert.Equal(t, "boot: hooks: hook /etc/boxinit.d/10-hang: 10-hang: still running after 700ms (--command-timeout): stopped", err.Error())
	assert.Equal(t, Failed, outcomes(results)["hooks"])
	r := <-seen
	require.NotNil(t, r, "status shows the running hook")
	assert.Equal(t, "hooks", r.Step)
	assert.Equal(t, "10-hang", r.Command)
	assert.Equal(t, 700*time.Millisecond, r.Timeout)
	assert.Contains(t, log, `msg="command started" step=hooks command=10-hang`)
	assert.Contains(t, log, "command still running at its timeout: stopping it")
	assert.Equal(t, "term\n", readFile(t, out), "SIGTERM first, so the hook can clean up")
	assert.NoFileExists(t, filepath.Join(f.Root, "ready"))
}

func TestBoot_AHookThatIgnoresSIGTERMIsKilled(t *testing.T) {
	f := bootRoot(t, "")
	f.CommandTimeout = 300 * time.Millisecond
	old := killAfter
	killAfter = 300 * time.Millisecond
	t.Cleanup(func() { killAfter = old })
	writeHook(t, f, "10-stubborn", "trap '' TERM\nwhile :; do sleep 0.05; done\n")
	start := time.Now()
	_, _, err := bootLogged(t, f, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "still running after 300ms")
	assert.Less(t, time.Since(start), 30*time.Second, "ended, not hung")
}

func TestBoot_ChildOutputNeverShowsAnRcEnvValue(t *testing.T) {
	token := "ghp_" + strings.Repeat("Z", 20)
	f := bootRoot(t, "DEFAULT_USER=human\nAPI_TOKEN="+token+"\nCUSTOMIZE_COMMAND='echo customize sees $API_TOKEN; echo user is $USER'\n")
	writeHook(t, f, "10-leak", "echo hook sees $API_TOKEN >&2\n")
	_, log, err := bootLogged(t, f, nil)
	require.NoError(t, err)
	assert.NotContains(t, log, token)
	assert.Contains(t, log, "hook sees [redacted]")
	assert.Contains(t, log, "customize sees [redacted]")
	assert.Contains(t, log, "user is human", "settings boxinit shows itself are not masked")
}

func TestBoot_PrivateVariablesReachNoChild(t *testing.T) {
	out := filepath.Join(t.TempDir(), "env")
	f := bootRoot(t, "DEFAULT_USER=human\nCUSTOMIZE_COMMAND='true'\nMY_SECRET=s3cr3t-value\nVISIBLE=yes-it-is\n")
	f.PrivateEnv = append(DefaultPrivateEnv, "MY_SECRET")
	writeHook(t, f, "10-env", "env > "+out+"\n")
	_, _, err := bootLogged(t, f, nil)
	require.NoError(t, err)
	env := readFile(t, out)
	assert.NotContains(t, env, "CUSTOMIZE_COMMAND=")
	assert.NotContains(t, env, "MY_SECRET=")
	assert.Contains(t, env, "VISIBLE=yes-it-is\n")
	assert.Contains(t, env, "DEFAULT_USER=human\n")
}

func TestBoot_AMissingTmpIsCreatedStickyAndWorldWritable(t *testing.T) {
	f := bootRoot(t, "DEFAULT_USER=human\n")
	require.NoError(t, os.RemoveAll(filepath.Join(f.Root, "tmp")))
	require.NoError(t, os.WriteFile(filepath.Join(f.Root, "etc/rc.user"), []byte("true\n"), 0o644))
	_, _, err := bootLogged(t, f, nil)
	require.NoError(t, err)
	fi, err := os.Stat(filepath.Join(f.Root, "tmp"))
	require.NoError(t, err)
	assert.Equal(t, os.ModeDir|os.ModeSticky|0o777, fi.Mode())
}

func TestBoot_AKeyServerThatNeverAnswersKeepsTheKeysAndSaysSo(t *testing.T) {
	ks := newKeyServer(t)
	k := pubKey(t, "first")
	ks.set("/alice.keys", k+"\n")
	f := bootRoot(t, "DEFAULT_USER=human\nDEFAULT_KEY_IMPORT=gh:alice\nDEFAULT_KEY='-----BEGIN OPENSSH PRIVATE KEY-----'\n")
	f.GitHubURL = ks.URL
	_, _, err := bootLogged(t, f, nil)
	require.NoError(t, err)
	ak := filepath.Join(f.Root, "home/human/.ssh/authorized_keys")
	before := readFile(t, ak)
	require.Contains(t, before, k)

	ks.mu.Lock()
	ks.hang = make(chan struct{})
	ks.mu.Unlock()
	defer close(ks.hang)
	results, log, err := bootLogged(t, f, func(b *Boot) {
		b.importer.Client.Timeout = time.Minute // the budget ends mid-request
		b.importer.Total = 300 * time.Millisecond
	})
	require.NoError(t, err)
	assert.Equal(t, before, readFile(t, ak), "the imported key stays")
	assert.Equal(t, Warning, outcomes(results)["keys"])
	for _, r := range results {
		if r.Step == "keys" {
			assert.Contains(t, r.Message, "gh:alice: GET")
			assert.Contains(t, r.Message, "keeping the keys imported last time")
			assert.Contains(t, r.Message, "line 1 of DEFAULT_KEY is not a public key")
		}
	}
	assert.NotContains(t, log, "PRIVATE KEY", "never quoted in the log")
}
