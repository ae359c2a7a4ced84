package cron

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/testutil"
)

// safetyRoot is a root with users root, human (1000) and eve (1001), an
// empty /etc/cron.d and Debian's spool /var/spool/cron/crontabs.
func safetyRoot(t *testing.T) string {
	testutil.RequireRoot(t)
	root := t.TempDir()
	for _, d := range []string{"etc/cron.d", "var/spool/cron/crontabs", "home/eve"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	require.NoError(t, os.Chmod(filepath.Join(root, "var/spool/cron/crontabs"), 0o1730))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/passwd"), []byte(
		"root:x:0:0::/root:/bin/sh\nhuman:x:1000:1000::/home/human:/bin/bash\neve:x:1001:1001::/home/eve:/bin/sh\n"), 0o644))
	return root
}

func put(t *testing.T, path, text string, mode os.FileMode, uid int) {
	require.NoError(t, os.WriteFile(path, []byte(text), mode))
	require.NoError(t, os.Chmod(path, mode)) // past the umask
	require.NoError(t, os.Chown(path, uid, uid))
}

func load(t *testing.T, root string) (*Scheduler, []string, *strings.Builder) {
	logs := &strings.Builder{}
	s, errs := New(Options{Root: root, Sources: []string{"/etc/crontab", "/etc/cron.d"}, Spools: DefaultSpools,
		Zone: time.UTC, Log: slog.New(slog.NewTextHandler(logs, nil))})
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	return s, got, logs
}

func jobIDs(s *Scheduler) []string {
	var out []string
	for _, j := range s.Jobs(time.Now()) {
		out = append(out, j.Job+" "+j.User)
	}
	return out
}

func TestSources_RefusesSystemCrontabsThatAnyoneButRootCouldHaveWritten(t *testing.T) {
	root := safetyRoot(t)
	d := filepath.Join(root, "etc/cron.d")
	put(t, filepath.Join(d, "good"), "* * * * * root true\n", 0o644, 0)
	put(t, filepath.Join(d, "eves"), "* * * * * root id\n", 0o644, 1001)
	put(t, filepath.Join(d, "world"), "* * * * * root id\n", 0o666, 0)
	put(t, filepath.Join(d, "group"), "* * * * * root id\n", 0o664, 0)
	put(t, filepath.Join(root, "home/eve/tab"), "* * * * * root id\n", 0o644, 1001)
	require.NoError(t, os.Symlink(filepath.Join(root, "home/eve/tab"), filepath.Join(d, "link-to-eves")))
	put(t, filepath.Join(root, "etc/roots-tab"), "* * * * * root date\n", 0o644, 0)
	require.NoError(t, os.Symlink(filepath.Join(root, "etc/roots-tab"), filepath.Join(d, "link-to-roots")))
	require.NoError(t, os.Symlink(filepath.Join(root, "etc/roots-tab"), filepath.Join(d, "eves-link")))
	require.NoError(t, os.Lchown(filepath.Join(d, "eves-link"), 1001, 1001))
	require.NoError(t, syscall.Mkfifo(filepath.Join(d, "fifo"), 0o644))

	s, errs, logs := load(t, root)
	assert.Equal(t, []string{"/etc/cron.d/good:1 root", "/etc/cron.d/link-to-roots:1 root"}, jobIDs(s))
	assert.Equal(t, []string{
		"/etc/cron.d/eves: refused: owned by uid 1001, not root",
		"/etc/cron.d/eves-link: refused: a symlink owned by uid 1001, not root",
		"/etc/cron.d/fifo: refused: not a regular file",
		"/etc/cron.d/group: refused: mode 0664 is writable by group or others",
		"/etc/cron.d/link-to-eves: refused: owned by uid 1001, not root",
		"/etc/cron.d/world: refused: mode 0666 is writable by group or others",
	}, errs, "the FIFO is refused, not waited on")
	assert.Equal(t, 6, strings.Count(logs.String(), `msg="crontab refused"`))

	s.reload(false) // nothing changed: nothing logged again
	assert.Equal(t, 6, strings.Count(logs.String(), `msg="crontab refused"`), "reported once per change")

	require.NoError(t, os.Chmod(filepath.Join(d, "world"), 0o644))
	s.reload(false)
	assert.Contains(t, jobIDs(s), "/etc/cron.d/world:1 root", "fixed by chmod: read again and run")
	assert.Len(t, s.Errors(), 5)
	require.NoError(t, os.Chmod(filepath.Join(d, "good"), 0o646))
	s.reload(false)
	assert.NotContains(t, jobIDs(s), "/etc/cron.d/good:1 root", "made writable by others after loading: its jobs stop")
	assert.Equal(t, 7, strings.Count(logs.String(), `msg="crontab refused"`))
}

// A ConfigMap under `hostUsers: false` without idmapped mounts: its files
// and links show the overflow uid, on a read-only mount.
func TestSources_TakesAnUnmappedOwnerOnAReadOnlyMountAsRoots(t *testing.T) {
	root := safetyRoot(t)
	d := filepath.Join(root, "etc/cron.d")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "cm/..data"), 0o755))
	put(t, filepath.Join(root, "cm/..data/tab"), "* * * * * root true\n", 0o644, 65534)
	require.NoError(t, os.Symlink(filepath.Join(root, "cm/..data/tab"), filepath.Join(d, "configmap")))
	require.NoError(t, os.Lchown(filepath.Join(d, "configmap"), 65534, 65534))
	readOnly := true
	overflowUID = func() uint32 { return 65534 }
	fdReadOnly = func(int) bool { return readOnly }
	dirReadOnly = func(string) bool { return readOnly }
	t.Cleanup(func() {
		overflowUID, fdReadOnly, dirReadOnly = defaultOverflowUID, defaultFdReadOnly, defaultDirReadOnly
	})

	s, errs, _ := load(t, root)
	assert.Empty(t, errs)
	assert.Equal(t, []string{"/etc/cron.d/configmap:1 root"}, jobIDs(s))

	readOnly = false // the same owner on a writable mount is nobody's file
	s, errs, _ = load(t, root)
	assert.Empty(t, jobIDs(s))
	assert.Equal(t, []string{"/etc/cron.d/configmap: refused: a symlink owned by uid 65534, not root"}, errs)
}

func TestSources_RunsUserCrontabsAsTheirOwnerOnlyWhenTheOwnerWroteThem(t *testing.T) {
	root := safetyRoot(t)
	spool := filepath.Join(root, "var/spool/cron/crontabs")
	put(t, filepath.Join(spool, "human"), "# DO NOT EDIT THIS FILE - edit the master and reinstall.\nMAILTO=\"\"\n*/5 * * * * echo hi\n@reboot date\n", 0o600, 1000)
	require.NoError(t, os.Chown(filepath.Join(spool, "human"), 1000, 0)) // group crontab on Debian
	put(t, filepath.Join(spool, "root"), "0 3 * * * /root/backup\n", 0o600, 0)
	put(t, filepath.Join(spool, "eve"), "0 3 * * * id\n", 0o600, 1000)       // written by human for eve
	put(t, filepath.Join(spool, "nobody2"), "0 3 * * * id\n", 0o600, 0)      // no such user
	put(t, filepath.Join(spool, "tmp.12345"), "0 3 * * * id\n", 0o600, 1000) // crontab -e at work
	require.NoError(t, os.Symlink(filepath.Join(spool, "human"), filepath.Join(spool, "human2")))
	put(t, filepath.Join(root, "etc/passwd"), "root:x:0:0::/root:/bin/sh\nhuman:x:1000:1000::/home/human:/bin/bash\neve:x:1001:1001::/home/eve:/bin/sh\nhuman2:x:1000:1000::/home/human:/bin/bash\n", 0o644, 0)

	s, errs, _ := load(t, root)
	assert.Equal(t, []string{"/var/spool/cron/crontabs/human:3 human", "/var/spool/cron/crontabs/human:4 human",
		"/var/spool/cron/crontabs/root:1 root"}, jobIDs(s))
	assert.Equal(t, []string{
		"/var/spool/cron/crontabs/eve: refused: owned by uid 1000, not by eve (1001) or root",
		"/var/spool/cron/crontabs/human2: refused: a symlink (a user crontab must be a regular file)",
		`/var/spool/cron/crontabs/nobody2: refused: no user "nobody2" in /etc/passwd for this crontab`,
	}, errs)
	put(t, filepath.Join(spool, "human"), "*/5 * * * * echo hi\n", 0o620, 1000)
	s.reload(false)
	var got []string
	for _, e := range s.Errors() {
		got = append(got, e.Error())
	}
	assert.Contains(t, got, "/var/spool/cron/crontabs/human: refused: mode 0620 is writable by group or others")
	assert.Equal(t, []string{"/var/spool/cron/crontabs/root:1 root"}, jobIDs(s))
}

func TestSources_AUserCrontabIsTheUserFormatWithoutAUserField(t *testing.T) {
	ct := ParseUser("/var/spool/cron/crontabs/human", strings.NewReader("SHELL=/bin/bash\n0 7 * * 1-5 root-is-a-command --x\n@daily echo%in\n"), time.UTC, "human")
	require.Empty(t, ct.Errors)
	require.Len(t, ct.Entries, 2)
	assert.Equal(t, "human", ct.Entries[0].User)
	assert.Equal(t, "root-is-a-command --x", ct.Entries[0].Command)
	assert.Equal(t, "/bin/bash", ct.Entries[0].Shell)
	assert.Equal(t, "in", ct.Entries[1].Stdin)
}
