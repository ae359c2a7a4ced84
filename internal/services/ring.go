package services

import "sync"

// ring keeps the last lines a unit printed (for status and journalctl).
type ring struct {
	mu    sync.Mutex
	lines []string
	next  int
	full  bool
}

const (
	ringLines   = 20
	ringLineMax = 512 // a longer line is kept cut
)

func newRing() *ring { return &ring{lines: make([]string, ringLines)} }

func (r *ring) add(line string) {
	if len(line) > ringLineMax {
		line = line[:ringLineMax]
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines[r.next] = line
	r.next = (r.next + 1) % len(r.lines)
	if r.next == 0 {
		r.full = true
	}
}

// last returns up to n lines, oldest first.
func (r *ring) last(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []string
	if r.full {
		all = append(all, r.lines[r.next:]...)
	}
	all = append(all, r.lines[:r.next]...)
	if n < len(all) {
		all = all[len(all)-n:]
	}
	return all
}
