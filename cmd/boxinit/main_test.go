package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/reaper"
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
