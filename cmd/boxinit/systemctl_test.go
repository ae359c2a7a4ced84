package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/boxinit/boxinit/internal/services"
)

// systemd.exec(5)/org.freedesktop.systemd1(5): ExecMainCode is the
// siginfo code (CLD_EXITED 1, CLD_KILLED 2), ExecMainStatus the exit
// status or the signal number: `systemctl show -p ExecMainStatus nginx`
// after a kill -9 of its master says 9.
func TestExecMain_IsTheExitStatusOrTheSignalAsSystemdShowsThem(t *testing.T) {
	for _, tc := range []struct {
		exit         *services.Exit
		code, status int
	}{
		{nil, 0, 0},
		{&services.Exit{}, 0, 0}, // ended, status unknown
		{&services.Exit{Code: 0, Known: true}, 1, 0},
		{&services.Exit{Code: 3, Known: true}, 1, 3},
		{&services.Exit{Signal: 9, Known: true}, 2, 9},
		{&services.Exit{Signal: 15, Known: true}, 2, 15},
	} {
		code, status := execMain(tc.exit)
		assert.Equal(t, [2]int{tc.code, tc.status}, [2]int{code, status}, "%+v", tc.exit)
	}
}
