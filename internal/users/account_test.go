package users

import (
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/testutil"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// seedRoot copies testdata/roots/NAME into a temporary root, giving the
// shadow files the mode and group Debian gives them (git keeps neither).
func seedRoot(t testing.TB, name string) string {
	t.Helper()
	root := t.TempDir()
	src := filepath.Join("..", "..", "testdata", "roots", name)
	require.NoError(t, os.CopyFS(root, os.DirFS(src)))
	stamp := time.Date(2025, 4, 18, 22, 47, 34, 0, time.UTC) // as a package would have left them
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			err = os.Chtimes(p, stamp, stamp)
		}
		return err
	}))
	for _, f := range []string{"etc/shadow", "etc/gshadow"} {
		p := filepath.Join(root, f)
		if _, err := os.Stat(p); err == nil {
			require.NoError(t, os.Chmod(p, 0o640))
			if os.Geteuid() == 0 {
				require.NoError(t, os.Chown(p, 0, 42))
			}
		}
	}
	return root
}

func read(t testing.TB, root, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	require.NoError(t, err)
	return string(b)
}

func pinClock(t *testing.T, at time.Time) {
	old := now
	now = func() time.Time { return at }
	t.Cleanup(func() { now = old })
}

var human = Account{Name: "human", UID: 1000, Shell: "/bin/bash", Groups: []string{"adm"}}

func TestEnsureAccount_WritesWhatDebiansUseraddWrites(t *testing.T) {
	testutil.RequireRoot(t)
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("requires useradd (passwd package)")
	}
	theirs, ours := seedRoot(t, "debian"), seedRoot(t, "debian")
	out, err := exec.Command("useradd", "--prefix", theirs, "-m", "-k", filepath.Join(theirs, "etc/skel"), "-U", "-G", "adm", "-s", "/bin/bash", "-u", "1000", "human").CombinedOutput()
	require.NoError(t, err, "%s", out)

	_, err = EnsureAccount(ours, human, discard)
	require.NoError(t, err)
	for _, f := range []string{"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/passwd-", "/etc/shadow-"} {
		assert.Equal(t, read(t, theirs, f), read(t, ours, f), f)
	}
	for _, f := range []string{"/etc/shadow", "/etc/gshadow"} {
		a, _ := os.Stat(filepath.Join(theirs, f))
		b, _ := os.Stat(filepath.Join(ours, f))
		assert.Equal(t, a.Mode(), b.Mode(), f)
		assert.Equal(t, a.Sys().(*syscall.Stat_t).Gid, b.Sys().(*syscall.Stat_t).Gid, f)
	}
	for _, f := range []string{"", ".bashrc", ".profile", ".bash_logout"} {
		a, err := os.Stat(filepath.Join(theirs, "home/human", f))
		require.NoError(t, err)
		b, err := os.Stat(filepath.Join(ours, "home/human", f))
		require.NoError(t, err)
		assert.Equal(t, a.Mode(), b.Mode(), "home/human/"+f)
		assert.Equal(t, a.Sys().(*syscall.Stat_t).Uid, b.Sys().(*syscall.Stat_t).Uid, "home/human/"+f)
		if f != "" {
			assert.Equal(t, a.ModTime(), b.ModTime(), "home/human/"+f)
		}
	}
}

func TestEnsureAccount_CreatesTheAccountOnEachKindOfImage(t *testing.T) {
	pinClock(t, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)) // day 20780
	for _, tc := range []struct {
		image, groupLine, shadowLine string
	}{
		{"debian", "adm:x:4:human", "human:!:20780:0:99999:7:::"},
		{"alpine", "adm:x:4:root,adm,daemon,human", "human:!:20780:0:99999:7:::"},
		{"distroless", "", ""}, // no adm group, no shadow
	} {
		t.Run(tc.image, func(t *testing.T) {
			root := seedRoot(t, tc.image)
			ch, err := EnsureAccount(root, human, discard)
			require.NoError(t, err)
			assert.True(t, ch.HomeCreated)
			assert.Contains(t, read(t, root, "/etc/passwd"), "\nhuman:x:1000:1000::/home/human:/bin/bash\n")
			assert.Contains(t, read(t, root, "/etc/group"), "\nhuman:x:1000:\n")
			if tc.groupLine != "" {
				assert.Contains(t, read(t, root, "/etc/group"), "\n"+tc.groupLine+"\n")
			}
			if tc.shadowLine != "" {
				assert.Contains(t, read(t, root, "/etc/shadow"), "\n"+tc.shadowLine+"\n")
			} else {
				assert.NoFileExists(t, filepath.Join(root, "/etc/shadow"), "no shadow file is invented")
			}
			assert.DirExists(t, filepath.Join(root, "/home/human"))
		})
	}
}

func TestEnsureAccount_SecondRunRewritesNothing(t *testing.T) {
	root := seedRoot(t, "debian")
	_, err := EnsureAccount(root, human, discard)
	require.NoError(t, err)
	before := snapshot(t, root)
	time.Sleep(20 * time.Millisecond) // a rewrite would show in the mtimes
	ch, err := EnsureAccount(root, human, discard)
	require.NoError(t, err)
	assert.False(t, ch.Changed(), "%+v", ch)
	assert.Equal(t, before, snapshot(t, root))
}

// snapshot maps every file under root/etc and root/home to its content and
// mtime.
func snapshot(t *testing.T, root string) map[string]string {
	out := map[string]string{}
	for _, dir := range []string{"etc", "home"} {
		_ = filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) || d.Name() == ".pwd.lock" { // the lock is not content
				return nil
			}
			require.NoError(t, err)
			fi, err := d.Info()
			require.NoError(t, err)
			if d.Type().IsRegular() {
				out[p] = fi.ModTime().String() + "|" + read(t, p, "")
			}
			return nil
		})
	}
	return out
}

func TestEnsureAccount_AddsMissingGroupsToAnExistingAccountAndFixesItsShell(t *testing.T) {
	root := seedRoot(t, "debian")
	_, err := EnsureAccount(root, human, discard)
	require.NoError(t, err)

	more := human
	more.Shell = "/bin/sh"
	more.Groups = []string{"adm", "sudo", "human", "no-such-group"}
	ch, err := EnsureAccount(root, more, discard)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"/etc/passwd", "/etc/group", "/etc/gshadow"}, ch.Files)
	assert.Contains(t, read(t, root, "/etc/passwd"), "\nhuman:x:1000:1000::/home/human:/bin/sh\n")
	assert.Contains(t, read(t, root, "/etc/group"), "\nadm:x:4:human\n")
	assert.Contains(t, read(t, root, "/etc/group"), "\nsudo:x:27:human\n")
	assert.Contains(t, read(t, root, "/etc/gshadow"), "\nsudo:*::human\n")
	assert.Equal(t, 1, strings.Count(read(t, root, "/etc/group"), "human:x:1000:"), "no duplicate private group")
}

func TestEnsureAccount_AnExistingAccountKeepsItsShellUnlessOneIsAskedFor(t *testing.T) {
	root := seedRoot(t, "debian")
	zsh := human
	zsh.Shell = "/bin/zsh" // as `chsh -s /bin/zsh` left it
	_, err := EnsureAccount(root, zsh, discard)
	require.NoError(t, err)

	byDefault := human
	byDefault.Shell, byDefault.DefaultShell = "/bin/bash", true
	ch, err := EnsureAccount(root, byDefault, discard)
	require.NoError(t, err)
	assert.Empty(t, ch.Files, "DEFAULT_USER_SHELL unset: nothing to change")
	assert.Contains(t, read(t, root, "/etc/passwd"), "\nhuman:x:1000:1000::/home/human:/bin/zsh\n")

	asked := human
	asked.Shell = "/bin/bash"
	_, err = EnsureAccount(root, asked, discard)
	require.NoError(t, err)
	assert.Contains(t, read(t, root, "/etc/passwd"), "\nhuman:x:1000:1000::/home/human:/bin/bash\n", "DEFAULT_USER_SHELL wins")
}

func TestEnsureAccount_RefusesWhatBelongsToSomeoneElse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra string // appended to /etc/passwd or /etc/group
		file  string
		acct  Account
		msg   string
	}{
		{"uid taken (ubuntu:24.04)", "ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n", "/etc/passwd", human,
			"DEFAULT_USER_ID 1000: uid 1000 is already used by ubuntu in /etc/passwd"},
		{"system account", "", "/etc/passwd", Account{Name: "daemon", UID: 1000, Shell: "/bin/sh"},
			`DEFAULT_USER "daemon": is a system account (uid 1) in /etc/passwd`},
		{"nobody", "", "/etc/passwd", Account{Name: "nobody", UID: 1000, Shell: "/bin/sh"},
			`DEFAULT_USER "nobody": is a system account (uid 65534) in /etc/passwd`},
		{"same name, other uid", "human:x:1001:1001::/home/human:/bin/bash\n", "/etc/passwd", human,
			"user human already exists in /etc/passwd with uid 1001; set DEFAULT_USER_ID=1001"},
		{"gid taken", "docker:x:1000:\n", "/etc/group", human,
			"DEFAULT_USER_ID 1000: gid 1000 is already used by group docker in /etc/group"},
		{"a malformed line for the name (uid 0, a field missing)", "human:x:0:0::/root\n", "/etc/passwd", human,
			"/etc/passwd:NN: the entry for human has 6 fields, not 7; fix or remove that line"},
		{"a uid that is not a number", "human:x:zero:0::/root:/bin/sh\n", "/etc/passwd", human,
			"/etc/passwd:NN: the entry for human has a uid or gid that is not a number"},
		{"a malformed shadow line", "human:!:20000\n", "/etc/shadow", human,
			"/etc/shadow:NN: the entry for human has 3 fields, not 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := seedRoot(t, "debian")
			appendTo(t, root, tc.file, tc.extra)
			before := snapshot(t, root)
			lines := strings.Count(read(t, root, tc.file), "\n")
			_, err := EnsureAccount(root, tc.acct, discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), strings.ReplaceAll(tc.msg, "NN", strconv.Itoa(lines)))
			assert.Equal(t, before, snapshot(t, root), "nothing changed")
		})
	}
}

func TestValidateName_FollowsTheRulesOfDEFAULT_USER(t *testing.T) {
	for _, ok := range []string{"human", "_svc", "first.last", "a-b_c9", strings.Repeat("a", 32)} {
		assert.NoError(t, ValidateName(ok), ok)
	}
	for bad, msg := range map[string]string{
		"Bad User":              `DEFAULT_USER "Bad User": must match ^[a-z_][a-z0-9_.-]*$`,
		"9lives":                "must match",
		"":                      "must match",
		"root/x":                "must match",
		strings.Repeat("a", 33): "longer than 32 characters",
	} {
		err := ValidateName(bad)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), msg)
	}
}

func TestEnsureAccount_KeepsEveryOtherLineByteForByte(t *testing.T) {
	root := seedRoot(t, "distroless")
	odd := "# managed by hand\n\nroot:x:0:0:root:/root:/sbin/nologin\n+::::::\nbroken line\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin"
	require.NoError(t, os.WriteFile(filepath.Join(root, "/etc/passwd"), []byte(odd), 0o644))
	_, err := EnsureAccount(root, human, discard)
	require.NoError(t, err)
	assert.Equal(t, odd+"\nhuman:x:1000:1000::/home/human:/bin/bash\n", read(t, root, "/etc/passwd"))
	assert.Equal(t, odd, read(t, root, "/etc/passwd-"), "the backup is the old file")
}

func TestEnsureAccount_KeepsAnExistingHomeAsItIs(t *testing.T) {
	testutil.RequireRoot(t)
	root := seedRoot(t, "debian")
	home := filepath.Join(root, "home/human")
	require.NoError(t, os.MkdirAll(home+"/project", 0o750))
	require.NoError(t, os.WriteFile(home+"/project/notes", []byte("mine"), 0o600))
	require.NoError(t, os.Chown(home+"/project", 4242, 4242)) // e.g. a volume from an older uid
	ch, err := EnsureAccount(root, human, discard)
	require.NoError(t, err)
	assert.False(t, ch.HomeCreated)
	assert.NoFileExists(t, home+"/.bashrc", "an existing home is not re-seeded")
	fi, err := os.Stat(home + "/project")
	require.NoError(t, err)
	assert.Equal(t, uint32(4242), fi.Sys().(*syscall.Stat_t).Uid, "an existing home is never chowned")
	assert.Equal(t, os.FileMode(0o750), fi.Mode().Perm())
}

func TestEnsureAccount_RefusesAHomeThatIsASymlink(t *testing.T) {
	root := seedRoot(t, "debian")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "home"), 0o755))
	require.NoError(t, os.Symlink("/etc", filepath.Join(root, "home/human")))
	_, err := EnsureAccount(root, human, discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "home /home/human: exists and is not a directory")
}

func TestEnsureAccount_WaitsForTheShadowUtilsLockThenFailsClearly(t *testing.T) {
	root := seedRoot(t, "debian")
	// An open-file-description lock conflicts with the classic fcntl lock
	// even within one process: it stands in for a running useradd.
	f, err := os.OpenFile(filepath.Join(root, "/etc/.pwd.lock"), os.O_CREATE|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &unix.Flock_t{Type: unix.F_WRLCK}))

	old := lockTimeout
	lockTimeout = 300 * time.Millisecond
	t.Cleanup(func() { lockTimeout = old })
	before := snapshot(t, root)
	_, err = EnsureAccount(root, human, discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "/etc/.pwd.lock: still held by another process after 300ms")
	assert.Equal(t, before, snapshot(t, root))

	require.NoError(t, unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &unix.Flock_t{Type: unix.F_UNLCK}))
	_, err = EnsureAccount(root, human, discard)
	assert.NoError(t, err, "works once the lock is free")
}

func BenchmarkEnsureAccount_10000LinePasswd(b *testing.B) {
	root := seedRoot(b, "debian")
	var pw, gr strings.Builder
	for i := 0; i < 10000; i++ {
		pw.WriteString("user" + strconv.Itoa(i) + ":x:" + strconv.Itoa(2000+i) + ":" + strconv.Itoa(2000+i) + "::/home/u:/bin/sh\n")
		gr.WriteString("user" + strconv.Itoa(i) + ":x:" + strconv.Itoa(2000+i) + ":\n")
	}
	appendTo(b, root, "/etc/passwd", pw.String())
	appendTo(b, root, "/etc/group", gr.String())
	_, err := EnsureAccount(root, human, discard)
	require.NoError(b, err)
	b.ResetTimer()
	for i := 0; i < b.N; i++ { // the boot of a restarted container: all in place
		if _, err := EnsureAccount(root, human, discard); err != nil {
			b.Fatal(err)
		}
	}
}

func appendTo(t testing.TB, root, path, s string) {
	f, err := os.OpenFile(filepath.Join(root, path), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(s)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func TestPlanUID_PicksTheFirstFreeUIDOnlyWhenNoneWasAskedFor(t *testing.T) {
	for _, tc := range []struct {
		name       string
		passwd     string // appended to the Debian tree's /etc/passwd
		group      string // appended to its /etc/group
		want       int
		uid        int
		auto       bool
		errMessage string
	}{
		{"a fresh Debian image", "", "", 0, 1000, true, ""},
		{"ubuntu:24.04 ships ubuntu with 1000", "ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n", "ubuntu:x:1000:\n", 0, 1001, true, ""},
		{"a free uid whose gid is taken is skipped", "", "docker:x:1000:\n", 0, 1001, true, ""},
		{"the user exists already", "human:x:1005:1005::/home/human:/bin/bash\n", "human:x:1005:\n", 0, 1005, false, ""},
		{"asked for a free uid", "", "", 1234, 1234, false, ""},
		{"asked for a taken uid", "ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n", "", 1000, 0, false, "uid 1000 is already used by ubuntu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := seedRoot(t, "debian")
			appendTo(t, root, "/etc/passwd", tc.passwd)
			appendTo(t, root, "/etc/group", tc.group)
			uid, auto, err := PlanUID(root, "human", tc.want)
			if tc.errMessage != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.errMessage)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.uid, uid)
			assert.Equal(t, tc.auto, auto)
		})
	}
}

// A persistent /home volume outlives the container's /etc: the account is
// made again with the uid that owns the home, so the files stay the user's.
func TestPlanUID_AFreshEtcTakesTheUIDOfThePersistentHome(t *testing.T) {
	testutil.RequireRoot(t)
	root := seedRoot(t, "debian")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "home/human"), 0o755))
	require.NoError(t, os.Chown(filepath.Join(root, "home/human"), 1003, 1003))
	uid, auto, err := PlanUID(root, "human", 0)
	require.NoError(t, err)
	assert.Equal(t, 1003, uid)
	assert.True(t, auto)
}
