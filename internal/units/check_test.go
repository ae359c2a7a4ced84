package units

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheck_ListsEachProblemOnceWithItsPlace(t *testing.T) {
	l := debianLoader(t)
	diags := l.Check()
	var notInfo []string
	ignored := map[string]bool{}
	for _, d := range diags {
		if d.Severity != Info {
			notInfo = append(notInfo, d.String())
		}
		ignored[d.File] = true
	}
	assert.Empty(t, notInfo, "the Debian units use nothing boxinit misreads")
	assert.True(t, ignored["/lib/systemd/system/redis-server.service"])
	assert.True(t, ignored["/lib/systemd/system/postgresql@.service"], "templates are checked as an instance")

	root := t.TempDir()
	write(t, root, map[string]string{
		"etc/systemd/system/a.service":  "[Service]\nExecStart=/bin/a\nPrivateTmp=yes\nBogus=1\n",
		"etc/systemd/system/b.service":  "->/etc/systemd/system/a.service", // an alias: the same problems, once
		"etc/systemd/system/t@.service": "[Service]\nExecStart=/bin/t %Q\n",
		"etc/systemd/system/n.service":  "[Service]\nType=simple\nExecStop=/bin/n\n",
	})
	l, err := NewLoader(root)
	require.NoError(t, err)
	var got []string
	for _, d := range l.Check() {
		got = append(got, d.String())
	}
	assert.Equal(t, []string{
		"/etc/systemd/system/a.service:3: info: PrivateTmp= ignored: a container without privileges cannot apply it",
		"/etc/systemd/system/a.service:4: warning: Bogus= in [Service] is not supported by boxinit, ignored",
		"/etc/systemd/system/n.service: error: service has no ExecStart= setting, which only Type=oneshot may leave out",
		"/etc/systemd/system/t@.service: error: service has no ExecStart=, ExecStop= or SuccessAction= setting",
		"/etc/systemd/system/t@.service:2: warning: ExecStart=/bin/t %Q: specifier %Q is not supported; setting ignored",
	}, got)
}
