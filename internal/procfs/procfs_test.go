package procfs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStat_ReadsPidStateAndParentEvenWhenCommHasSpacesAndParens(t *testing.T) {
	for in, want := range map[string]Stat{
		"1 (boxinit) S 0 1 1 0 -1 4194560":       {PID: 1, PPID: 0, State: 'S'},
		"42 (my (odd) cmd) Z 7 42 42 0 -1 0 0 0": {PID: 42, PPID: 7, State: 'Z'},
		"9 () R 1 9":                             {PID: 9, PPID: 1, State: 'R'},
		"10 (a) b) T 3 0":                        {PID: 10, PPID: 3, State: 'T'},
	} {
		got, err := ParseStat([]byte(in))
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
}

func TestParseStat_RejectsTruncatedLines(t *testing.T) {
	for _, in := range []string{"", "1 (x", "(x) S 1", "1 (x) S", "x (y) S 1", "1 (x) SS 1", "1 (x) S y"} {
		_, err := ParseStat([]byte(in))
		assert.Error(t, err, in)
	}
}

func TestList_ReadsEveryProcessOfAProcTreeAndSkipsTheRest(t *testing.T) {
	dir := t.TempDir()
	for name, stat := range map[string]string{
		"1": "1 (init) S 0", "5": "5 (sh) S 1", "6": "6 (sleep) Z 5", "7": "7 (gone", "self": "5 (sh) S 1",
	} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, name), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name, "stat"), []byte(stat), 0o644))
	}
	procs, err := List(dir)
	require.NoError(t, err)
	assert.ElementsMatch(t, []Stat{{1, 0, 'S'}, {5, 1, 'S'}, {6, 5, 'Z'}}, procs)
}

func TestDescendants_FollowsTheTreeBelowRootOnly(t *testing.T) {
	procs := []Stat{{1, 0, 'S'}, {2, 1, 'S'}, {3, 2, 'S'}, {4, 3, 'S'}, {5, 1, 'S'}, {6, 5, 'S'}, {7, 0, 'S'}}
	assert.ElementsMatch(t, []int{3, 4}, Descendants(procs, 2))
	assert.ElementsMatch(t, []int{2, 3, 4, 5, 6}, Descendants(procs, 1))
	assert.Empty(t, Descendants(procs, 4))
}

func FuzzParseStat(f *testing.F) {
	for _, s := range []string{"1 (boxinit) S 0 1 1", "42 (my (odd) cmd) Z 7 42", "(", ")", "1 () R -1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseStat(b)
		if err == nil && st.State == 0 {
			t.Fatalf("parsed %q without a state", b)
		}
	})
}
