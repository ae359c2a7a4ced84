package boot

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/testutil"
)

// distroRoot is a root whose /etc holds the account files of a base image
// as it ships them (testdata/passwd/DISTRO, see its ORIGIN), with rc.env.
func distroRoot(t *testing.T, distro, rcEnv string) Flags {
	testutil.RequireRoot(t)
	root := t.TempDir()
	require.NoError(t, os.CopyFS(root, os.DirFS(filepath.Join("../../testdata/passwd", distro))))
	for _, f := range []string{"etc/shadow", "etc/gshadow"} {
		if _, err := os.Stat(filepath.Join(root, f)); err == nil {
			require.NoError(t, os.Chmod(filepath.Join(root, f), 0o640))
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/rc.env"), []byte(rcEnv), 0o644))
	if strings.HasSuffix(etcLine(t, root, "passwd", "root"), ":/bin/bash") { // Ubuntu, Fedora; not Alpine
		require.NoError(t, os.MkdirAll(filepath.Join(root, "bin"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, "bin/bash"), nil, 0o755)) // only its existence counts
	}
	return Flags{Root: root, EnvFile: "/etc/rc.env", UserScript: "/etc/rc.user", HooksDir: "/etc/boxinit.d",
		ReadyFile: "/ready", GitHubURL: "https://github.example", LaunchpadURL: "https://launchpad.example"}
}

// etcLine returns the line of /etc/FILE in root whose first field is name.
func etcLine(t *testing.T, root, file, name string) string {
	t.Helper()
	for _, l := range strings.Split(readFile(t, filepath.Join(root, "etc", file)), "\n") {
		if strings.HasPrefix(l, name+":") {
			return l
		}
	}
	return ""
}

// unchangedBut asserts that every line of the shipped /etc/FILE is still
// there, in order, but for the lines of the groups in changed.
func unchangedBut(t *testing.T, distro, root, file string, changed ...string) {
	t.Helper()
	orig, err := os.ReadFile(filepath.Join("../../testdata/passwd", distro, "etc", file))
	require.NoError(t, err)
	now := readFile(t, filepath.Join(root, "etc", file))
	for _, l := range strings.Split(strings.TrimSpace(string(orig)), "\n") {
		name, _, _ := strings.Cut(l, ":")
		if !contains(changed, name) {
			assert.Contains(t, now, l+"\n", "%s: the shipped line of %s is kept", file, name)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ubuntu:24.04 ships ubuntu with uid and gid 1000. With DEFAULT_USER_ID
// unset, check passes and boot gives the admin 1001, as useradd would, and
// says so; the ubuntu account and its sudo membership stay as they were.
func TestBoot_Ubuntu2404GivesTheAdminTheFirstFreeUIDBesideTheShippedUbuntuUser(t *testing.T) {
	const distro = "ubuntu-24.04"
	f := distroRoot(t, distro, "DEFAULT_USER=human\n")
	results, log, err := bootLogged(t, f, nil)
	require.NoError(t, err, "%+v\n%s", results, log)
	root := f.Root

	assert.Equal(t, "human:x:1001:1001::/home/human:/bin/bash", etcLine(t, root, "passwd", "human"))
	assert.Equal(t, "human:x:1001:", etcLine(t, root, "group", "human"))
	assert.Regexp(t, `^human:!:\d+:0:99999:7:::$`, etcLine(t, root, "shadow", "human"))
	assert.Equal(t, "human:!::", etcLine(t, root, "gshadow", "human"))
	assert.Equal(t, "adm:x:4:ubuntu,human", etcLine(t, root, "group", "adm"), "DEFAULT_USER_GROUPS' default, adm")
	assert.Equal(t, "adm:*::ubuntu,human", etcLine(t, root, "gshadow", "adm"))
	assert.Equal(t, "sudo:x:27:ubuntu", etcLine(t, root, "group", "sudo"), "sudo comes from /etc/sudoers.d, not from the sudo group")
	assert.Contains(t, readFile(t, filepath.Join(root, "etc/sudoers.d/human")), "\nhuman ALL=(ALL) NOPASSWD:ALL\n")
	for _, file := range []string{"passwd", "shadow"} {
		unchangedBut(t, distro, root, file)
	}
	unchangedBut(t, distro, root, "group", "adm")
	unchangedBut(t, distro, root, "gshadow", "adm")
	for _, r := range results {
		if r.Step == "user" {
			assert.Contains(t, r.Message, "uid 1001, the first free one (DEFAULT_USER_ID is not set)")
		}
	}
	fi, err := os.Stat(filepath.Join(root, "home/human"))
	require.NoError(t, err)
	st := fi.Sys().(*syscall.Stat_t)
	assert.Equal(t, [2]uint32{1001, 1001}, [2]uint32{st.Uid, st.Gid}, "the home is the admin's")

	// Booted again (a restarted container): the same uid, nothing added.
	before := snapshotFiles(t, root)
	_, _, err = bootLogged(t, f, nil)
	require.NoError(t, err)
	after := snapshotFiles(t, root)
	for _, p := range []string{"etc/passwd", "etc/group", "etc/shadow", "etc/gshadow"} {
		assert.Equal(t, before[p], after[p], p)
	}
}

// Asking for the uid ubuntu has is a configuration error that check finds.
func TestLoad_Ubuntu2404RefusesDEFAULT_USER_ID1000BecauseUbuntuHasIt(t *testing.T) {
	f := distroRoot(t, "ubuntu-24.04", "DEFAULT_USER=human\nDEFAULT_USER_ID=1000\n")
	_, err := Load(f, nil)
	require.Error(t, err)
	assert.Regexp(t, regexp.MustCompile(`^/etc/rc.env:2: DEFAULT_USER_ID 1000: .*ubuntu`), problems(t, err)[0])
}

// DEFAULT_USER=ubuntu adopts the shipped account: its uid, its groups.
func TestBoot_Ubuntu2404AdoptsTheShippedUbuntuUserWhenItIsTheAdmin(t *testing.T) {
	const distro = "ubuntu-24.04"
	f := distroRoot(t, distro, "DEFAULT_USER=ubuntu\n")
	results, log, err := bootLogged(t, f, nil)
	require.NoError(t, err, "%+v\n%s", results, log)
	unchangedBut(t, distro, f.Root, "passwd")
	unchangedBut(t, distro, f.Root, "group")
	assert.Contains(t, readFile(t, filepath.Join(f.Root, "etc/sudoers.d/ubuntu")), "\nubuntu ALL=(ALL) NOPASSWD:ALL\n")
}

// Fedora's admin group is wheel (gid 10, no members). boxinit does not add
// the admin to it unless DEFAULT_USER_GROUPS names it: sudo comes from
// /etc/sudoers.d either way.
func TestBoot_FedoraAddsTheAdminToWheelOnlyWhenDEFAULT_USER_GROUPSNamesIt(t *testing.T) {
	const distro = "fedora"
	f := distroRoot(t, distro, "DEFAULT_USER=human\n")
	results, log, err := bootLogged(t, f, nil)
	require.NoError(t, err, "%+v\n%s", results, log)
	assert.Equal(t, "human:x:1000:1000::/home/human:/bin/bash", etcLine(t, f.Root, "passwd", "human"))
	assert.Equal(t, "wheel:x:10:", etcLine(t, f.Root, "group", "wheel"))
	assert.Equal(t, "adm:x:4:human", etcLine(t, f.Root, "group", "adm"))
	assert.Contains(t, readFile(t, filepath.Join(f.Root, "etc/sudoers.d/human")), "\nhuman ALL=(ALL) NOPASSWD:ALL\n")

	f = distroRoot(t, distro, "DEFAULT_USER=human\nDEFAULT_USER_GROUPS=adm,wheel\n")
	results, log, err = bootLogged(t, f, nil)
	require.NoError(t, err, "%+v\n%s", results, log)
	assert.Equal(t, "wheel:x:10:human", etcLine(t, f.Root, "group", "wheel"))
	assert.Equal(t, "wheel:::human", etcLine(t, f.Root, "gshadow", "wheel"))
	assert.Equal(t, "adm:x:4:human", etcLine(t, f.Root, "group", "adm"))
	assert.Equal(t, "human:x:1000:", etcLine(t, f.Root, "group", "human"))
	assert.Equal(t, "human:!::", etcLine(t, f.Root, "gshadow", "human"))
	unchangedBut(t, distro, f.Root, "passwd")
	unchangedBut(t, distro, f.Root, "group", "adm", "wheel")
}

// Alpine has wheel but no sudo group, no gshadow and no bash. A sudo group
// asked for is skipped with a warning; no gshadow is invented.
func TestBoot_AlpineSkipsAMissingSudoGroupAndInventsNoGshadow(t *testing.T) {
	const distro = "alpine"
	f := distroRoot(t, distro, "DEFAULT_USER=human\nDEFAULT_USER_GROUPS=adm,sudo,wheel\n")
	results, log, err := bootLogged(t, f, nil)
	require.NoError(t, err, "%+v\n%s", results, log)
	assert.Equal(t, "human:x:1000:1000::/home/human:/bin/sh", etcLine(t, f.Root, "passwd", "human"), "no bash: /bin/sh")
	assert.Equal(t, "wheel:x:10:root,human", etcLine(t, f.Root, "group", "wheel"))
	assert.Equal(t, "adm:x:4:root,daemon,human", etcLine(t, f.Root, "group", "adm"))
	assert.Empty(t, etcLine(t, f.Root, "group", "sudo"), "no sudo group is made")
	assert.Contains(t, log, `msg="extra group does not exist: skipped" step=user group=sudo`)
	assert.NoFileExists(t, filepath.Join(f.Root, "etc/gshadow"))
	assert.Regexp(t, `^human:!:\d+:0:99999:7:::$`, etcLine(t, f.Root, "shadow", "human"))
	unchangedBut(t, distro, f.Root, "passwd")
	unchangedBut(t, distro, f.Root, "shadow")
	unchangedBut(t, distro, f.Root, "group", "adm", "wheel")
}
