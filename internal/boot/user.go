package boot

import (
	"context"
	"fmt"
	"strings"

	"github.com/boxinit/boxinit/internal/users"
)

// user ensures the admin account, its group, home and sudoers rule.
func (b *Boot) user(context.Context) (Outcome, string, error) {
	a := b.cfg.User
	if a == nil {
		return Skipped, "DEFAULT_USER is not set", nil
	}
	ch, err := users.EnsureAccount(b.cfg.Root, *a, b.log.With("step", "user"))
	if err != nil {
		return fail(err)
	}
	sudo, err := users.EnsureSudoers(b.cfg.Root, a.Name, b.cfg.Sudo)
	if err != nil {
		return fail(err)
	}
	var did []string
	if len(ch.Files) > 0 {
		did = append(did, "wrote "+strings.Join(ch.Files, ", "))
	}
	if len(ch.Files) > 0 && b.cfg.UIDAuto {
		did = append(did, fmt.Sprintf("uid %d, the first free one (DEFAULT_USER_ID is not set)", a.UID))
	}
	if ch.HomeCreated {
		did = append(did, "created "+a.Home())
	}
	if sudo {
		did = append(did, "wrote "+users.SudoersFile(a.Name))
	}
	if len(did) == 0 {
		return OK, "", nil
	}
	return Changed, strings.Join(did, "; "), nil
}
