package tmpfiles

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func put(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(root, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		if strings.HasPrefix(c, "->") {
			require.NoError(t, os.Symlink(c[2:], full))
			continue
		}
		require.NoError(t, os.WriteFile(full, []byte(c), 0o644))
	}
}

func owner(t *testing.T, p string) (os.FileMode, uint32, uint32) {
	t.Helper()
	fi, err := os.Lstat(p)
	require.NoError(t, err)
	st := fi.Sys().(*syscall.Stat_t)
	return fi.Mode(), st.Uid, st.Gid
}

const passwd = "root:x:0:0::/root:/bin/sh\nmysql:x:101:104::/nonexistent:/bin/false\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\npostgres:x:114:120::/var/lib/postgresql:/bin/bash\n"
const group = "root:x:0:\nwww-data:x:33:\nmysql:x:104:\npostgres:x:120:\nutmp:x:43:\n"

func TestParse_ReadsSystemdsAndDebiansFiles(t *testing.T) {
	lines, bad, err := Read("../../../testdata/units/systemd", nil)
	require.NoError(t, err)
	assert.Empty(t, bad)
	byPath := map[string]Line{}
	for _, l := range lines {
		byPath[l.Path] = l
	}
	assert.Equal(t, Line{Type: 'D', Path: "/tmp", Mode: 0o1777, ModeSet: true, User: "root", Group: "root", Where: "/usr/lib/tmpfiles.d/tmp.conf:11"}, byPath["/tmp"])
	assert.Equal(t, Line{Type: 'L', Path: "/var/run", Arg: "../run", Where: "/usr/lib/tmpfiles.d/var.conf:12"}, byPath["/var/run"])
	assert.Equal(t, Line{Type: 'L', Plus: true, Path: "/etc/mtab", Arg: "../proc/self/mounts", Where: "/usr/lib/tmpfiles.d/debian.conf:14"}, byPath["/etc/mtab"])
	assert.True(t, byPath["/tmp/.X11-unix"].Boot)
	assert.Equal(t, "10d", byPath["/tmp/.X11-unix"].Age)
	assert.Equal(t, byte('r'), byPath["/tmp/.X[0-9]*-lock"].Type)

	_, bad, err = Parse(strings.NewReader("d /ok\nz\nd relative\nd /m 999\n? /x\nd= /y\nf /a - - - - %Z\n"), "t.conf", nil)
	require.NoError(t, err)
	var got []string
	for _, b := range bad {
		got = append(got, b.Error())
	}
	assert.Equal(t, []string{
		`t.conf:2: "z": want at least a type and a path`,
		`t.conf:3: path "relative" is not absolute`,
		`t.conf:4: mode "999": not an octal mode`,
		`t.conf:5: unknown type "?"`,
		`t.conf:6: type "d=": modifier '=' is not supported`,
		`t.conf:7: "%Z": specifiers are not supported here`,
	}, got)
}

func TestApply_DebianPackagesRunDirectoriesWithModesAndOwners(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("requires root")
	}
	root := t.TempDir()
	require.NoError(t, os.CopyFS(root, os.DirFS("../../../testdata/units/debian/root/usr")))
	put(t, root, map[string]string{"etc/passwd": passwd, "etc/group": group})
	require.NoError(t, os.Rename(filepath.Join(root, "lib"), filepath.Join(root, "usr-lib")))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "usr"), 0o755))
	require.NoError(t, os.Rename(filepath.Join(root, "usr-lib"), filepath.Join(root, "usr/lib")))
	lines, bad, err := Read(root, nil)
	require.NoError(t, err)
	require.Empty(t, bad)
	require.NoError(t, Apply(lines, Options{Root: root, Boot: true}))
	for p, want := range map[string][3]any{
		"run/postgresql":     {os.ModeDir | os.ModeSetgid | 0o775, uint32(114), uint32(120)},
		"var/log/postgresql": {os.ModeDir | os.ModeSticky | 0o775, uint32(0), uint32(120)},
		"run/mysqld":         {os.ModeDir | 0o755, uint32(101), uint32(0)},
		"run/php":            {os.ModeDir | 0o755, uint32(33), uint32(33)},
	} {
		m, u, g := owner(t, filepath.Join(root, p))
		assert.Equal(t, want, [3]any{m, u, g}, p)
	}
	require.NoError(t, Apply(lines, Options{Root: root, Boot: true}), "a second boot changes nothing and fails nowhere")
}

func TestApply_TypesAndModifiers(t *testing.T) {
	root := t.TempDir()
	put(t, root, map[string]string{
		"etc/passwd": passwd, "etc/group": group,
		"var/keep":      "old",
		"var/trunc":     "old content",
		"var/w":         "x",
		"var/stale/a/b": "x",
		"run/lock/old":  "x",
		"var/oldlink":   "->/elsewhere",
		"etc/tmpfiles.d/a.conf": "f /var/new 0640 - - - hello\nf /var/keep - - - - new\nF /var/trunc - - - - fresh\n" +
			"w+ /var/w - - - - y\nw /var/absent - - - - y\nL /var/run - - - - ../run\nL /var/oldlink - - - - /new\n" +
			"L+ /var/replaced - - - - /target\nD /run/lock 0755 - - -\nr /var/stale/a/b\nd! /var/bootonly\n" +
			"z /var/keep 0600\nd- /var/keep/notadir\n",
		"usr/lib/tmpfiles.d/a.conf": "d /hidden-by-etc\n",
		"usr/lib/tmpfiles.d/b.conf": "d /var/from-usr 0750\n",
		"var/replaced":              "a file",
	})
	lines, bad, err := Read(root, nil)
	require.NoError(t, err)
	require.Empty(t, bad)
	require.NoError(t, Apply(lines, Options{Root: root, Remove: true}))
	read := func(p string) string { b, _ := os.ReadFile(filepath.Join(root, p)); return string(b) }
	assert.Equal(t, "hello", read("var/new"))
	m, _, _ := owner(t, filepath.Join(root, "var/new"))
	assert.Equal(t, os.FileMode(0o640), m)
	assert.Equal(t, "old", read("var/keep"), "f does not write to a file that exists")
	m, _, _ = owner(t, filepath.Join(root, "var/keep"))
	assert.Equal(t, os.FileMode(0o600), m, "z adjusts the mode")
	assert.Equal(t, "fresh", read("var/trunc"))
	assert.Equal(t, "xy", read("var/w"))
	assert.NoFileExists(t, filepath.Join(root, "var/absent"), "w writes only to a file that exists")
	l, _ := os.Readlink(filepath.Join(root, "var/run"))
	assert.Equal(t, "../run", l)
	l, _ = os.Readlink(filepath.Join(root, "var/oldlink"))
	assert.Equal(t, "/elsewhere", l, "L leaves what is there")
	l, _ = os.Readlink(filepath.Join(root, "var/replaced"))
	assert.Equal(t, "/target", l, "L+ replaces")
	assert.NoFileExists(t, filepath.Join(root, "run/lock/old"), "D is emptied with --remove")
	assert.NoFileExists(t, filepath.Join(root, "var/stale/a/b"))
	assert.NoDirExists(t, filepath.Join(root, "var/bootonly"), "'!' lines run at boot only")
	assert.NoDirExists(t, filepath.Join(root, "hidden-by-etc"), "a.conf in /etc hides the one in /usr/lib")
	assert.DirExists(t, filepath.Join(root, "var/from-usr"))
}

func TestApply_NeverFollowsALinkAUserControls(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("requires root")
	}
	root := t.TempDir()
	outside := t.TempDir()
	require.NoError(t, os.Chmod(outside, 0o700))
	put(t, root, map[string]string{
		"etc/passwd": passwd, "etc/group": group,
		"run/app":        "->" + outside, // the directory itself is a link
		"var/userdir/x":  "",
		"var/userdir/ln": "->" + outside,
		"run/user/link":  "->/etc",
	})
	require.NoError(t, os.Lchown(filepath.Join(root, "run/user/link"), 33, 33))
	require.NoError(t, os.Chown(filepath.Join(root, "var/userdir"), 33, 33))
	lines, _, err := Parse(strings.NewReader("d /run/app 0777 www-data - -\nZ /var/userdir 0777 www-data\nd /run/user/link/sub 0755\n"), "t.conf", nil)
	require.NoError(t, err)
	err = Apply(lines, Options{Root: root})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "t.conf:1: /run/app: not a directory (or a symbolic link)")
	assert.Contains(t, err.Error(), "t.conf:3: link: a symbolic link not owned by root")
	m, u, _ := owner(t, outside)
	assert.Equal(t, os.ModeDir|0o700, m, "the link's target is untouched")
	assert.Equal(t, uint32(0), u)
	m, _, _ = owner(t, filepath.Join(root, "var/userdir/x"))
	assert.Equal(t, os.FileMode(0o777), m, "Z changes what is below")
}

func FuzzParse(f *testing.F) {
	f.Add("d /run/postgresql 2775 postgres postgres - -\nL+ /etc/mtab - - - - ../proc/self/mounts\nf~ /x - - - - aGVsbG8=\n")
	f.Fuzz(func(t *testing.T, src string) {
		lines, _, err := Parse(strings.NewReader(src), "f", func(s string) (string, error) { return s, nil })
		if err != nil {
			return
		}
		for _, l := range lines {
			if !filepath.IsAbs(l.Path) || filepath.Clean(l.Path) != l.Path {
				t.Fatalf("path %q not absolute and clean", l.Path)
			}
		}
	})
}
