package cron

import (
	"path/filepath"

	"github.com/boxinit/boxinit/internal/users"
)

// identity returns the user's ids, groups and home, read again only when
// /etc/passwd or /etc/group changed: a job that runs every second should
// not parse them every second.
func (s *Scheduler) identity(user string) (users.Identity, error) {
	sig := signature(filepath.Join(s.o.Root, "/etc/passwd")) + "|" + signature(filepath.Join(s.o.Root, "/etc/group"))
	s.idMu.Lock()
	defer s.idMu.Unlock()
	if sig != s.idSig {
		s.identities, s.idSig = map[string]users.Identity{}, sig
	}
	if id, ok := s.identities[user]; ok {
		return id, nil
	}
	id, err := users.LookupIdentity(s.o.Root, user)
	if err == nil {
		s.identities[user] = id
	}
	return id, err
}
