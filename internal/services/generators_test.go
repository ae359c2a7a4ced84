package services

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/units"
)

func TestRunGenerators_LinksTheyMakeAreWhatTheLoaderReads(t *testing.T) {
	f := setup(t, map[string]string{})
	gen := func(dir, name, script string) {
		p := filepath.Join(f.root, dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755))
	}
	// What postgresql-common's generator does for a cluster 15/main.
	gen("lib/systemd/system-generators", "postgresql-generator",
		`mkdir -p "$1/postgresql.service.wants" && ln -s /lib/systemd/system/postgresql@.service "$1/postgresql.service.wants/postgresql@15-main.service"; echo "scope=$SYSTEMD_SCOPE virt=$SYSTEMD_VIRTUALIZATION"`)
	gen("lib/systemd/system-generators", "early", `touch "$2/early-ran"`)
	gen("usr/lib/systemd/system-generators", "early", `touch "$2/shadowed-ran"`) // /lib wins over /usr/lib
	gen("lib/systemd/system-generators", "masked", `touch "$1/masked-ran"`)
	require.NoError(t, os.MkdirAll(filepath.Join(f.root, "etc/systemd/system-generators"), 0o755))
	require.NoError(t, os.Symlink("/dev/null", filepath.Join(f.root, "etc/systemd/system-generators/masked")))
	gen("lib/systemd/system-generators", "systemd-fstab-generator", `touch "$1/systemd-ran"`)
	gen("lib/systemd/system-generators", "broken", `exit 3`)
	require.NoError(t, os.MkdirAll(filepath.Join(f.root, "run/systemd/generator"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(f.root, "run/systemd/generator/stale.service"), []byte("[Service]\nExecStart=/bin/true\n"), 0o644))
	write := func(p, c string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(f.root, p)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(f.root, p), []byte(c), 0o644))
	}
	write("lib/systemd/system/postgresql.service", "[Service]\nType=oneshot\nExecStart=/bin/true\nRemainAfterExit=on\n")
	write("lib/systemd/system/postgresql@.service", "[Service]\nExecStart=/bin/true\n")

	err := f.m.RunGenerators(ctx)
	require.Error(t, err)
	assert.Equal(t, "generator broken: exit 3", err.Error(), "a failing generator is reported; the others ran")
	assert.FileExists(t, filepath.Join(f.root, "run/systemd/generator.early/early-ran"))
	assert.NoFileExists(t, filepath.Join(f.root, "run/systemd/generator.early/shadowed-ran"))
	assert.NoFileExists(t, filepath.Join(f.root, "run/systemd/generator/masked-ran"))
	assert.NoFileExists(t, filepath.Join(f.root, "run/systemd/generator/systemd-ran"))
	assert.NoFileExists(t, filepath.Join(f.root, "run/systemd/generator/stale.service"), "the output directories start empty")
	assert.Contains(t, f.log.String(), `msg="scope=system virt=container:podman" generator=postgresql-generator`)

	l, err := units.NewLoader(f.root)
	require.NoError(t, err)
	pg, err := l.Load("postgresql.service")
	require.NoError(t, err)
	assert.Equal(t, []string{"postgresql@15-main.service"}, pg.Wants)
}
