package users

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
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

func TestIdentityCommand_SetsCredentialsSessionLoginVariablesAndHome(t *testing.T) {
	id := Identity{Name: "human", UID: 1000, GID: 1000, Groups: []int{1000, 4}, Home: "/home/human", Shell: "/bin/bash"}
	cmd := id.Command([]string{"bash", "-c", "make"}, []string{"HOME=/root", "DEFAULT_USER=human", "PATH=/sbin", "USER=root"})
	assert.Equal(t, []string{"bash", "-c", "make"}, cmd.Args)
	assert.Equal(t, "/home/human", cmd.Dir)
	assert.Equal(t, []string{"DEFAULT_USER=human", "HOME=/home/human", "USER=human", "LOGNAME=human", "SHELL=/bin/bash", "PATH=" + UserPath}, cmd.Env)
	assert.Nil(t, cmd.Stdin, "stdin is /dev/null")
	require.NotNil(t, cmd.Sys.Credential)
	assert.Equal(t, uint32(1000), cmd.Sys.Credential.Uid)
	assert.Equal(t, uint32(1000), cmd.Sys.Credential.Gid)
	assert.Equal(t, []uint32{1000, 4}, cmd.Sys.Credential.Groups)
	assert.True(t, cmd.Sys.Setsid, "away from boxinit's terminal and process group")
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

func TestIdentityCommand_RunsAsTheUser(t *testing.T) {
	root, home := rootWithHuman(t)
	testutil.OpenToOthers(t, home) // let uid 1000 reach its home
	id, err := LookupIdentity(root, "human")
	require.NoError(t, err)
	id.Home = home // the tree is not chrooted into

	// The reaper would run it the same way (reaper.Cmd is a description);
	// os/exec here keeps this test process free of a second wait4 owner.
	cmd := id.Command([]string{"sh", "-c", `id -u; id -G; pwd; echo "$HOME $USER $LOGNAME $SHELL"; echo $(ls /proc/self/fd)`}, nil)
	run := exec.Command(cmd.Args[0], cmd.Args[1:]...)
	run.Env, run.Dir, run.SysProcAttr = cmd.Env, cmd.Dir, cmd.Sys
	b, err := run.Output()
	require.NoError(t, err)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 5, "%s", b)
	assert.Equal(t, "1000", lines[0])
	assert.Equal(t, "1000 4", lines[1])
	assert.Equal(t, home, lines[2])
	assert.Equal(t, home+" human human /bin/bash", lines[3])
	// 0-2, ls's own 3, and whatever this test process inherited without
	// close-on-exec (a container runtime's --preserve-fds passes through
	// too); nothing that boxinit opened itself.
	want := []string{"0", "1", "2", "3"}
	want = append(want, inheritedFDs(t)...)
	assert.ElementsMatch(t, want, strings.Fields(lines[4]))
}
