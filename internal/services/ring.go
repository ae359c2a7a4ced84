package services

import (
	"sync"
	"time"
)

// ring keeps the last lines a unit printed (for status and journalctl):
// ringLines lines of at most ringLineMax bytes, with the time each was read
// and a sequence number (lines ever added) that `journalctl -f` follows.
type ring struct {
	mu    sync.Mutex
	lines []JournalLine
	total uint64 // lines ever added; the newest is number total
}

// JournalLine is one line a unit printed.
type JournalLine struct {
	Seq  uint64    `json:"seq"` // 1 for a unit's first line
	Time time.Time `json:"time"`
	Text string    `json:"text"`
}

const (
	ringLines   = 20
	ringLineMax = 512 // a longer line is kept cut
)

func newRing() *ring { return &ring{lines: make([]JournalLine, ringLines)} }

func (r *ring) add(line string, now time.Time) {
	if len(line) > ringLineMax {
		line = line[:ringLineMax]
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total++
	r.lines[(r.total-1)%uint64(len(r.lines))] = JournalLine{Seq: r.total, Time: now, Text: line}
}

// after returns up to n of the lines numbered above seq (the newest ones
// when more are kept), oldest first, and the number of the newest line.
func (r *ring) after(seq uint64, n int) ([]JournalLine, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	first := seq + 1
	if kept := uint64(len(r.lines)); r.total > kept && first <= r.total-kept {
		first = r.total - kept + 1
	}
	if n >= 0 && r.total >= first && r.total-first+1 > uint64(n) {
		first = r.total - uint64(n) + 1
	}
	var out []JournalLine
	for i := first; i <= r.total; i++ {
		out = append(out, r.lines[(i-1)%uint64(len(r.lines))])
	}
	return out, r.total
}

// last returns the text of up to n lines, oldest first.
func (r *ring) last(n int) []string {
	lines, _ := r.after(0, n)
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.Text
	}
	return out
}
