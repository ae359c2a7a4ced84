package services

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/units"
)

// The whole boot on a small image: a tmpfiles.d line makes the run
// directory a unit writes to, a generator (as postgresql's) makes the
// instance wanted, the loader reads what it made, and the units start in
// their order.
func TestBootSystem_TmpfilesThenGeneratorsThenUnits(t *testing.T) {
	f := setup(t, map[string]string{})
	files := map[string]string{
		"usr/lib/tmpfiles.d/db.conf":                            "d /run/db 0750 - - -\n",
		"lib/systemd/system-generators/db-generator":            "#!/bin/sh\nmkdir -p \"$1/db.service.wants\" && ln -s /lib/systemd/system/db@.service \"$1/db.service.wants/db@main.service\"\n",
		"lib/systemd/system/db.service":                         "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
		"lib/systemd/system/db@.service":                        "[Unit]\nPartOf=db.service\nBefore=db.service\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'echo %i > " + "ROOT/run/db/instance'\n",
		"etc/systemd/system/multi-user.target.wants/db.service": "->/lib/systemd/system/db.service",
	}
	for p, c := range files {
		full := filepath.Join(f.root, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		if c[:2] == "->" {
			require.NoError(t, os.Symlink(c[2:], full))
			continue
		}
		mode := os.FileMode(0o644)
		if filepath.Base(filepath.Dir(p)) == "system-generators" {
			mode = 0o755
		}
		require.NoError(t, os.WriteFile(full, []byte(replaceRoot(c, f.root)), mode))
	}
	res, err := f.m.BootSystem(ctx, units.BootOptions{})
	require.NoError(t, err)
	assert.Empty(t, res.Errors)
	fi, err := os.Stat(filepath.Join(f.root, "run/db"))
	require.NoError(t, err)
	assert.Equal(t, os.ModeDir|0o750, fi.Mode())
	assert.Equal(t, "main", readFile(t, filepath.Join(f.root, "run/db/instance")))
	states := map[string]string{}
	for _, r := range res.Units {
		states[r.Name] = r.State
	}
	assert.Equal(t, Active, states["db@main.service"])
	assert.Equal(t, Active, states["db.service"])
	assert.Equal(t, Active, states["multi-user.target"])
}
