package services

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func texts(lines []JournalLine) []string {
	out := []string{}
	for _, l := range lines {
		out = append(out, l.Text)
	}
	return out
}

func TestRing_KeepsTheLastLinesNumberedSoThatFollowingMissesNone(t *testing.T) {
	r := newRing()
	t0 := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
	lines, last := r.after(0, -1)
	assert.Empty(t, lines)
	assert.Equal(t, uint64(0), last)
	for i := 1; i <= 3; i++ {
		r.add(fmt.Sprint("line ", i), t0.Add(time.Duration(i)*time.Second))
	}
	lines, last = r.after(0, -1)
	assert.Equal(t, []string{"line 1", "line 2", "line 3"}, texts(lines))
	assert.Equal(t, uint64(3), last)
	assert.Equal(t, t0.Add(2*time.Second), lines[1].Time)
	lines, _ = r.after(0, 2)
	assert.Equal(t, []string{"line 2", "line 3"}, texts(lines), "-n 2: the newest two")
	lines, _ = r.after(3, -1)
	assert.Empty(t, lines, "nothing new")
	r.add("line 4", t0)
	lines, last = r.after(3, -1)
	assert.Equal(t, []string{"line 4"}, texts(lines), "-f: only the new line")
	assert.Equal(t, uint64(4), last)

	for i := 5; i <= 45; i++ {
		r.add(fmt.Sprint("line ", i), t0)
	}
	lines, last = r.after(0, -1)
	assert.Len(t, lines, ringLines, "bounded")
	assert.Equal(t, "line 26", lines[0].Text)
	assert.Equal(t, uint64(26), lines[0].Seq)
	assert.Equal(t, "line 45", lines[ringLines-1].Text)
	assert.Equal(t, uint64(45), last)
	lines, _ = r.after(40, -1)
	assert.Equal(t, []string{"line 41", "line 42", "line 43", "line 44", "line 45"}, texts(lines))
	lines, _ = r.after(10, 3)
	assert.Equal(t, []string{"line 43", "line 44", "line 45"}, texts(lines), "a follower that fell behind gets what is kept")
	assert.Equal(t, []string{"line 44", "line 45"}, r.last(2))

	long := make([]byte, 2*ringLineMax)
	for i := range long {
		long[i] = 'x'
	}
	r.add(string(long), t0)
	assert.Len(t, r.last(1)[0], ringLineMax, "a long line is cut")
}
