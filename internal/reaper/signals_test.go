package reaper

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestParseSignal_AcceptsNamesWithOrWithoutSIGAndNumbers(t *testing.T) {
	for in, want := range map[string]syscall.Signal{
		"TERM": unix.SIGTERM, "SIGTERM": unix.SIGTERM, "term": unix.SIGTERM, "sigquit": unix.SIGQUIT,
		"15": unix.SIGTERM, "0": 0, "WINCH": unix.SIGWINCH, "34": syscall.Signal(34),
	} {
		got, err := ParseSignal(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
}

func TestParseSignal_RejectsUnknownNamesAndNumbersOutOfRange(t *testing.T) {
	for _, in := range []string{"", "TERMINATE", "65", "-1", "SIG"} {
		_, err := ParseSignal(in)
		assert.Error(t, err, in)
	}
}

func TestParseRewrite_MapsFromToAndZeroDrops(t *testing.T) {
	rw, err := ParseRewrite([]string{"TERM:QUIT", "1:0", "sigusr1:SIGUSR2"})
	require.NoError(t, err)

	to, ok := rw.apply(unix.SIGTERM)
	assert.True(t, ok)
	assert.Equal(t, unix.SIGQUIT, to)

	_, ok = rw.apply(unix.SIGHUP)
	assert.False(t, ok, "HUP:0 drops HUP")

	to, ok = rw.apply(unix.SIGUSR1)
	assert.True(t, ok)
	assert.Equal(t, unix.SIGUSR2, to)

	to, ok = rw.apply(unix.SIGINT)
	assert.True(t, ok)
	assert.Equal(t, unix.SIGINT, to, "signals without a rule pass unchanged")
}

func TestParseRewrite_ErrorsNameThePairToFix(t *testing.T) {
	for in, msg := range map[string]string{
		"TERM":      `rewrite "TERM": want FROM:TO`,
		"TERM:NOPE": `rewrite "TERM:NOPE": signal "NOPE": unknown name`,
		"KILL:TERM": `rewrite "KILL:TERM": SIGKILL cannot be rewritten`,
		"CHLD:TERM": `rewrite "CHLD:TERM": SIGCHLD cannot be rewritten`,
		"0:TERM":    `rewrite "0:TERM": 0 cannot be rewritten`,
		"URG:TERM":  `rewrite "URG:TERM": SIGURG is the Go runtime's own signal and never reaches boxinit`,
	} {
		_, err := ParseRewrite([]string{in})
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), msg)
	}
}

func TestNeverForwarded_KeepsBoxinitsOwnSignalsAndForwardsTheRest(t *testing.T) {
	for _, sig := range []syscall.Signal{unix.SIGCHLD, unix.SIGURG, unix.SIGTTIN, unix.SIGTTOU, unix.SIGPIPE} {
		assert.True(t, neverForwarded(sig), SignalName(sig))
	}
	for _, sig := range []syscall.Signal{unix.SIGTERM, unix.SIGHUP, unix.SIGWINCH, unix.SIGUSR1, unix.SIGTSTP, unix.SIGCONT, syscall.Signal(40)} {
		assert.False(t, neverForwarded(sig), SignalName(sig))
	}
}
