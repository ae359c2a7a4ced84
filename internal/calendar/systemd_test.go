package calendar

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// row is one line of testdata/calendar/systemd-252.txt.
type row struct {
	file       string
	line       int
	zone       string // the evaluator's local zone
	base       time.Time
	expr       string
	normalized string // "" for a parse error
	elapses    []time.Time
}

func readTable(t *testing.T, file string) []row {
	t.Helper()
	f, err := os.Open("../../testdata/calendar/" + file)
	require.NoError(t, err)
	defer f.Close()
	var rows []row
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		require.Len(t, f, 5, "%s:%d", file, n)
		base, err := time.Parse(time.RFC3339, f[1])
		require.NoError(t, err, "%s:%d", file, n)
		r := row{file: file, line: n, zone: f[0], base: base, expr: f[2]}
		if f[3] != "!error" {
			r.normalized = f[3]
			if f[4] != "never" {
				for _, s := range strings.Fields(f[4]) {
					at, err := time.Parse(time.RFC3339, s)
					require.NoError(t, err, "%s:%d", file, n)
					r.elapses = append(r.elapses, at)
				}
			}
		}
		rows = append(rows, r)
	}
	require.NoError(t, sc.Err())
	return rows
}

// knownDifferences are rows where boxinit answers otherwise on purpose.
var knownDifferences = map[string]string{
	// systemd reads an abbreviation of the local zone as "DST on" and
	// then never finds a time; boxinit only knows zone names.
	"Europe/Berlin\t*-*-* 12:00 CEST": "local zone abbreviation",
}

// TestSystemd252Table_EveryRowMatches checks every expression of the table
// that systemd-analyze 252 produced: the normalized form, the next six
// elapses (whole seconds, as systemd-analyze prints them), and that the
// invalid ones are refused.
func TestSystemd252Table_EveryRowMatches(t *testing.T) {
	checkTable(t, "systemd-252.txt", 280)
}

// TestSystemd252RandomTable_EveryRowMatches does the same for 400 events
// drawn at random from the grammar (random-expressions.py), about half of
// them invalid, with random zones and base times.
func TestSystemd252RandomTable_EveryRowMatches(t *testing.T) {
	checkTable(t, "random-252.txt", 400)
}

func checkTable(t *testing.T, file string, atLeast int) {
	rows := readTable(t, file)
	require.GreaterOrEqual(t, len(rows), atLeast)
	matched, skipped := 0, 0
	for _, r := range rows {
		if why, ok := knownDifferences[r.zone+"\t"+r.expr]; ok {
			t.Logf("%s:%d %q in %s: skipped, %s", r.file, r.line, r.expr, r.zone, why)
			skipped++
			continue
		}
		ok := t.Run(r.zone+"/"+r.expr, func(t *testing.T) {
			where := fmt.Sprintf("%s:%d", r.file, r.line)
			spec, err := Parse(r.expr)
			if r.normalized == "" {
				require.Error(t, err, where)
				var perr *Error
				require.True(t, errors.As(err, &perr), where)
				require.Equal(t, r.expr, perr.Expr, where)
				return
			}
			require.NoError(t, err, where)
			require.Equal(t, r.normalized, spec.String(), where)
			loc, err := loadZone("/", r.zone)
			require.NoError(t, err)
			at := r.base.In(loc)
			var got []time.Time
			for i := 0; i < 6; i++ {
				next, ok := spec.Next(at)
				if !ok {
					break
				}
				require.True(t, next.After(at), where)
				got = append(got, next.UTC().Truncate(time.Second))
				at = next
			}
			require.Equal(t, fmtTimes(r.elapses), fmtTimes(got), where)
		})
		if ok {
			matched++
		}
	}
	t.Logf("%s: %d rows, %d match systemd 252, %d known differences", file, len(rows), matched, skipped)
}

func fmtTimes(ts []time.Time) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.UTC().Format(time.RFC3339)
	}
	return strings.Join(s, " ")
}
