package users

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/testutil"
)

func TestLookupIdentity_ReadsIdsHomeShellAndEveryGroup(t *testing.T) {
	root := seedRoot(t, "debian")
	acct := human
	acct.Groups = []string{"adm", "sudo"}
	_, err := EnsureAccount(root, acct, discard)
	require.NoError(t, err)
	id, err := LookupIdentity(root, "human")
	require.NoError(t, err)
	assert.Equal(t, Identity{Name: "human", UID: 1000, GID: 1000, Groups: []int{1000, 4, 27}, Home: "/home/human", Shell: "/bin/bash"}, id)

	_, err = LookupIdentity(root, "nobody-here")
	assert.EqualError(t, err, "user nobody-here: not in /etc/passwd")
}

func TestIdentityEnv_PutsTheLoginVariablesInPlaceOfBoxinits(t *testing.T) {
	id := Identity{Name: "human", UID: 1000, GID: 1000, Groups: []int{1000, 4}, Home: "/home/human", Shell: "/bin/bash"}
	assert.Equal(t, []string{"DEFAULT_USER=human", "HOME=/home/human", "USER=human", "LOGNAME=human", "SHELL=/bin/bash", "PATH=" + UserPath},
		id.Env([]string{"HOME=/root", "DEFAULT_USER=human", "PATH=/sbin", "USER=root"}))
}

func TestCommandBuild_SetsCredentialsSessionAndAWorkingDirectoryInsideTheRoot(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"home/human", "srv/app", "etc"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/file"), nil, 0o644))
	human := &Identity{Name: "human", UID: 1000, GID: 1000, Groups: []int{1000, 4}, Home: "/home/human", Shell: "/bin/bash"}
	env := []string{"A=1", "HOME=/elsewhere"}
	for _, tc := range []struct {
		name     string
		c        Command
		wantDir  string
		wantCred *syscall.Credential
		wantErr  string
	}{
		{name: "the user's home, inside the root", c: Command{Root: root, User: human},
			wantDir: filepath.Join(root, "home/human"), wantCred: &syscall.Credential{Uid: 1000, Gid: 1000, Groups: []uint32{1000, 4}}},
		{name: "a directory given, inside the root", c: Command{Root: root, User: human, Dir: "/srv/app"},
			wantDir: filepath.Join(root, "srv/app"), wantCred: &syscall.Credential{Uid: 1000, Gid: 1000, Groups: []uint32{1000, 4}}},
		{name: "dot-dot cannot leave the root", c: Command{Root: root, Dir: "/../../srv/app"}, wantDir: filepath.Join(root, "srv/app")},
		{name: "root: no credential change, the root's /", c: Command{Root: root}, wantDir: root},
		{name: "no root is /", c: Command{}, wantDir: "/"},
		{name: "a missing directory falls back to the root's /", c: Command{Root: root, User: human, Dir: "/home/gone", DirFallback: true},
			wantDir: root, wantCred: &syscall.Credential{Uid: 1000, Gid: 1000, Groups: []uint32{1000, 4}}},
		{name: "a missing directory is an error naming it", c: Command{Root: root, Dir: "/home/gone"},
			wantErr: "working directory " + filepath.Join(root, "home/gone") + ": no such file or directory"},
		{name: "a file is not a directory", c: Command{Root: root, Dir: "/etc/file"},
			wantErr: "working directory " + filepath.Join(root, "etc/file") + ": not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.Args, tc.c.Env = []string{"bash", "-c", "make"}, env
			cmd, err := tc.c.Build()
			if tc.wantErr != "" {
				assert.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []string{"bash", "-c", "make"}, cmd.Args)
			assert.Equal(t, env, cmd.Env, "the environment is the caller's, unchanged")
			assert.Equal(t, tc.wantDir, cmd.Dir)
			assert.Nil(t, cmd.Stdin, "stdin is /dev/null")
			assert.Equal(t, tc.wantCred, cmd.Sys.Credential)
			assert.True(t, cmd.Sys.Setsid, "away from boxinit's terminal and process group")
		})
	}
}

// inheritedFDs lists the descriptors above 2 of this process that are not
// close-on-exec.
func inheritedFDs(t *testing.T) []string {
	entries, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		fd, _ := strconv.Atoi(e.Name())
		if fd <= 2 {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestCommand_RunsAsTheUserInItsHomeInsideTheRoot(t *testing.T) {
	root, home := rootWithHuman(t)
	testutil.OpenToOthers(t, root) // let uid 1000 reach its home
	id, err := LookupIdentity(root, "human")
	require.NoError(t, err)

	// The reaper would run it the same way (reaper.Cmd is a description);
	// os/exec here keeps this test process free of a second wait4 owner.
	cmd, err := Command{Root: root, User: &id, Env: id.Env(nil),
		Args: []string{"sh", "-c", `id -u; id -G; pwd; echo "$HOME $USER $LOGNAME $SHELL"; echo $(ls /proc/self/fd)`}}.Build()
	require.NoError(t, err)
	run := exec.Command(cmd.Args[0], cmd.Args[1:]...)
	run.Env, run.Dir, run.SysProcAttr = cmd.Env, cmd.Dir, cmd.Sys
	b, err := run.Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 5, "%s", b)
	assert.Equal(t, "1000", lines[0])
	assert.Equal(t, "1000 4", lines[1])
	assert.Equal(t, home, lines[2])
	assert.Equal(t, "/home/human human human /bin/bash", lines[3], "HOME as the user sees the tree")
	// 0-2, ls's own 3, and whatever this test process inherited without
	// close-on-exec (a container runtime's --preserve-fds passes through
	// too); nothing that boxinit opened itself.
	want := []string{"0", "1", "2", "3"}
	want = append(want, inheritedFDs(t)...)
	assert.ElementsMatch(t, want, strings.Fields(lines[4]))
}
