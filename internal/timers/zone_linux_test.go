package timers

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

const berlin = "/usr/share/zoneinfo/Europe/Berlin"

// `ln -sf ZONE /etc/localtime` (a new link renamed over the old one) and a
// rewrite of the file are both told; a change of another file in /etc is
// not.
func TestZoneWatch_TellsAReplacedOrRewrittenLocaltimeAndNothingElse(t *testing.T) {
	root := t.TempDir()
	etc := filepath.Join(root, "etc")
	require.NoError(t, os.MkdirAll(etc, 0o755))
	w, err := NewZoneWatch(root)
	require.NoError(t, err)
	defer w.Close()
	told := make(chan error, 10)
	go func() {
		for {
			err := w.Wait()
			told <- err
			if err != nil {
				return
			}
		}
	}()
	quiet := func(what string) {
		select {
		case err := <-told:
			t.Fatalf("%s was told (%v)", what, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	tells := func(what string) {
		select {
		case err := <-told:
			require.NoError(t, err, what)
		case <-time.After(5 * time.Second):
			t.Fatalf("%s was not told", what)
		}
	}

	require.NoError(t, os.WriteFile(filepath.Join(etc, "hostname"), []byte("box\n"), 0o644))
	quiet("a write of /etc/hostname")

	require.NoError(t, os.Symlink("/usr/share/zoneinfo/Europe/Berlin", filepath.Join(etc, ".localtime.new")))
	require.NoError(t, os.Rename(filepath.Join(etc, ".localtime.new"), filepath.Join(etc, "localtime")))
	tells("a link renamed over localtime")

	require.NoError(t, os.Remove(filepath.Join(etc, "localtime")))
	tells("localtime removed")
	require.NoError(t, os.WriteFile(filepath.Join(etc, "localtime"), []byte("TZif"), 0o644))
	tells("localtime written")

	require.NoError(t, w.Close())
	for err := range told {
		if err != nil {
			assert.ErrorIs(t, err, os.ErrClosed, "Wait ends with Close")
			break
		}
	}
}

func TestLoadZone_IsTheRootsLocaltimeOrUTCWithoutOne(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	z, _, err := LoadZone(root)
	require.NoError(t, err)
	assert.Equal(t, time.UTC, z, "no /etc/localtime: UTC, as Go")

	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/localtime"), []byte("not a zone"), 0o644))
	_, _, err = LoadZone(root)
	assert.Error(t, err)

	data, err := os.ReadFile(berlin)
	if err != nil {
		t.Skip("requires tzdata (" + berlin + ")")
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/localtime"), data, 0o644))
	z, got, err := LoadZone(root)
	require.NoError(t, err)
	assert.Equal(t, data, got)
	_, offset := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC).In(z).Zone()
	assert.Equal(t, 3600, offset, "CET in December")
}

// /etc/localtime is read by PID 1's timer loop: a FIFO there (or anything
// that is not a regular file, or a huge one) is refused at once, not read
// for ever.
func TestLoadZone_RefusesAFIFOAtOnceRatherThanWaitingOnIt(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	require.NoError(t, unix.Mkfifo(filepath.Join(root, "etc/localtime"), 0o644))
	done := make(chan error, 1)
	go func() { _, _, err := LoadZone(root); done <- err }()
	select {
	case err := <-done:
		assert.ErrorContains(t, err, "not a regular file")
	case <-time.After(2 * time.Second):
		t.Fatal("LoadZone waits on the FIFO")
	}
}
