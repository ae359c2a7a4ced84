package main

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/boot"
	"github.com/boxinit/boxinit/internal/reaper"
	"github.com/boxinit/boxinit/internal/services"
	"github.com/boxinit/boxinit/internal/sigearly"
)

func TestFlags_EnvironmentSetsAFlagAndTheCommandLineWins(t *testing.T) {
	t.Setenv("BOXINIT_GRACE_PERIOD", "30s")
	t.Setenv("BOXINIT_FORWARD_TO", "process")
	t.Setenv("BOXINIT_REWRITE", "TERM:QUIT,HUP:0")
	cfg, err := parseFlags("init", []string{"--forward-to=group", "--", "sshd", "-D"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, 30*time.Second, cfg.gracePeriod)
	assert.Equal(t, reaper.ForwardGroup, cfg.forwardTo)
	assert.Equal(t, reaper.Rewrite{15: 3, 1: 0}, cfg.rewrite)
	assert.Equal(t, []string{"sshd", "-D"}, cfg.command)
}

func TestFlags_TheCommandKeepsItsOwnFlags(t *testing.T) {
	cfg, err := parseFlags("init", []string{"--grace-period=1s", "nginx", "-g", "daemon off;", "--grace-period=5s"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, time.Second, cfg.gracePeriod)
	assert.Equal(t, []string{"nginx", "-g", "daemon off;", "--grace-period=5s"}, cfg.command)
}

func TestRun_BadCommandLineExits2WithAMessageNamingTheFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  string
		msg  string
	}{
		{args: []string{"--no-such-flag"}, msg: "unknown flag: --no-such-flag"},
		{args: []string{"--forward-to=pgroup"}, msg: `--forward-to "pgroup": want group or process`},
		{args: []string{"--rewrite=TERM"}, msg: `--rewrite "TERM": want FROM:TO`},
		{args: []string{"--log-format=xml"}, msg: `--log-format "xml": want text or json`},
		{args: []string{"--log-level=loud"}, msg: `--log-level "loud"`},
		{args: []string{"--grace-period=-1s"}, msg: "--grace-period -1s: must not be negative"},
		{env: "soon", msg: `BOXINIT_GRACE_PERIOD="soon"`},
	} {
		t.Run(tc.msg, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("BOXINIT_GRACE_PERIOD", tc.env)
			}
			var stderr bytes.Buffer
			assert.Equal(t, exitUsage, run(tc.args, nil, &stderr))
			assert.Contains(t, stderr.String(), tc.msg)
		})
	}
}

// A pod's env: can only set a variable, not unset a flag: BOXINIT_CRON=
// and BOXINIT_SOCKET= turn cron and the socket off as --cron= and
// --socket= do. Any other empty BOXINIT_ variable counts as unset.
func TestFlags_EmptyBOXINIT_CRONAndBOXINIT_SOCKETDisableThemAsTheEmptyFlagsDo(t *testing.T) {
	cfg, err := parseFlags("init", nil, &bytes.Buffer{})
	require.NoError(t, err)
	require.Equal(t, []string{"/etc/crontab", "/etc/cron.d"}, cfg.cron, "the defaults, for comparison")
	require.Equal(t, "/run/boxinit.sock", cfg.socket)

	t.Setenv("BOXINIT_CRON", "")
	t.Setenv("BOXINIT_SOCKET", "")
	t.Setenv("BOXINIT_GRACE_PERIOD", "")
	t.Setenv("BOXINIT_PRIVATE_ENV", "")
	fromEnv, err := parseFlags("init", nil, &bytes.Buffer{})
	require.NoError(t, err)
	fromFlags, err := parseFlags("init", []string{"--cron=", "--socket="}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Empty(t, fromEnv.cron, "no cron")
	assert.Empty(t, fromEnv.socket, "no socket")
	assert.Equal(t, fromFlags.cron, fromEnv.cron)
	assert.Equal(t, fromFlags.socket, fromEnv.socket)
	assert.Equal(t, 10*time.Second, fromEnv.gracePeriod, "an empty BOXINIT_GRACE_PERIOD is unset")
	assert.Equal(t, boot.DefaultPrivateEnv, fromEnv.boot.PrivateEnv, "an empty BOXINIT_PRIVATE_ENV keeps the default: nothing private leaks")

	t.Setenv("BOXINIT_CRON", "/etc/cron.d/a,/etc/cron.d/b")
	t.Setenv("BOXINIT_SOCKET", "/run/other.sock")
	set, err := parseFlags("init", nil, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, []string{"/etc/cron.d/a", "/etc/cron.d/b"}, set.cron)
	assert.Equal(t, "/run/other.sock", set.socket)
	flagWins, err := parseFlags("init", []string{"--cron=/x", "--socket=/y"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, []string{"/x"}, flagWins.cron)
	assert.Equal(t, "/y", flagWins.socket)
}

// boxinit status in a pod whose env has BOXINIT_SOCKET= says why there is
// no answer instead of dialing the default socket.
func TestStatus_EmptyBOXINIT_SOCKETSaysThereIsNoSocket(t *testing.T) {
	t.Setenv("BOXINIT_SOCKET", "")
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 1, runStatus(nil, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "no control socket: BOXINIT_SOCKET is empty")
	stderr.Reset()
	assert.Equal(t, 3, runStatus([]string{"--ready"}, &stdout, &stderr), "a probe: no boxinit answers")
	assert.Empty(t, stderr.String())
}

// The runs that are no init catch no signal from the start, so SIGTERM ends
// them as any program and they skip the runtime's signal thread; every run
// that may be an init catches the stop signals before main.
func TestSigearly_OnlyRunsThatMayBeAnInitCatchSignalsBeforeMain(t *testing.T) {
	clients := [][]string{
		{"/sbin/boxinit", "version"},
		{"boxinit", "status", "--json"},
		{"boxinit", "check"},
		{"boxinit", "systemctl", "status"},
		{"boxinit", "journalctl", "-u", "ssh"},
		{"/usr/bin/systemctl", "start", "nginx"},
		{"/usr/bin/journalctl"},
		{"/sbin/boxinit", services.HelperArg, "--", "/usr/sbin/nginx", "nginx"},
	}
	for _, argv := range clients {
		assert.True(t, sigearly.IsClient(argv), "%q is a client", argv)
	}
	inits := [][]string{
		{"/sbin/boxinit"},
		{"/sbin/boxinit", "--", "sleep", "1"},
		{"/sbin/boxinit", "--grace-period=3s", "version"}, // flags first: an init running `version`
		{"/sbin/boxinit", "boot"},                         // PID 1's boot child stops its hooks on SIGTERM
		{"/sbin/init"},
		{"/sbin/boxinit", "sleep", "version"},
	}
	for _, argv := range inits {
		assert.False(t, sigearly.IsClient(argv), "%q may be an init", argv)
	}
}

// The stop signals are caught from package sigearly's init; Go runs it once
// everything it imports is initialised, among the ready packages in
// import-path order. An import that sorts late (path/filepath did) pushes
// it behind crypto and net/http, and a SIGTERM in that window ends PID 1
// with exit 2. GODEBUG=inittrace=1 lists the inits in the order they run.
func TestSigearly_InitialisesAmongTheFirstPackages(t *testing.T) {
	cmd := exec.Command(boxinitBin, "--help")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, _ := cmd.CombinedOutput()
	var order []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "init" {
			order = append(order, f[1])
		}
	}
	i := slices.Index(order, "github.com/boxinit/boxinit/internal/sigearly")
	require.NotEqual(t, -1, i, "no init of sigearly in:\n%s", out)
	assert.Less(t, i, 25, "sigearly's init runs after %q", order[:i])
	assert.Equal(t, "os/signal", order[i-1], "right after os/signal")
}
