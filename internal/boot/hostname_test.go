package boot

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestSetHostsLine_LeavesExactlyOne127011LineAndEverythingElseAsItWas(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "127.0.1.1\tbox\n"},
		{"127.0.0.1\tlocalhost\n# keep me\n", "127.0.0.1\tlocalhost\n# keep me\n127.0.1.1\tbox\n"},
		{"127.0.0.1 localhost\n127.0.1.1 old old.example\n::1 localhost\n", "127.0.0.1 localhost\n127.0.1.1\tbox\n::1 localhost\n"},
		{"127.0.1.1 box\n10.0.0.1 db\n127.0.1.1 other\n", "127.0.1.1 box\n10.0.0.1 db\n"},
		{"127.0.0.1 localhost", "127.0.0.1 localhost\n127.0.1.1\tbox\n"},
	} {
		assert.Equal(t, tc.want, setHostsLine(tc.in, "box"), "%q", tc.in)
	}
}

func TestHostnameStep_WritesBothFilesOnceAndNothingTheSecondTime(t *testing.T) {
	f := testRoot(t, nil)
	hosts := filepath.Join(f.Root, "etc/hosts")
	require.NoError(t, os.WriteFile(hosts, []byte("127.0.0.1\tlocalhost\n"), 0o644))
	b := &Boot{cfg: &Config{Flags: f, Hostname: "box-1"}}

	out, _, err := b.hostname(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Changed, out)
	assert.Equal(t, "box-1\n", readFile(t, filepath.Join(f.Root, "etc/hostname")))
	assert.Equal(t, "127.0.0.1\tlocalhost\n127.0.1.1\tbox-1\n", readFile(t, hosts))

	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(hosts, old, old))
	out, _, err = b.hostname(context.Background())
	require.NoError(t, err)
	assert.Equal(t, OK, out)
	fi, _ := os.Stat(hosts)
	assert.Equal(t, old.Unix(), fi.ModTime().Unix(), "/etc/hosts not rewritten")
}

func TestSetKernelHostname_EPERMIsAWarningThatExplainsIt(t *testing.T) {
	var asked string
	orig := sethostname
	t.Cleanup(func() { sethostname = orig })

	sethostname = func(p []byte) error { asked = string(p); return unix.EPERM }
	out, msg, err := setKernelHostname("not-this-machines-name", true)
	require.NoError(t, err)
	assert.Equal(t, Warning, out)
	assert.Contains(t, msg, "CAP_SYS_ADMIN")
	assert.Equal(t, "not-this-machines-name", asked)

	sethostname = func([]byte) error { return nil }
	out, _, err = setKernelHostname("not-this-machines-name", false)
	require.NoError(t, err)
	assert.Equal(t, Changed, out)
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}
