package boot

import (
	"context"
	"fmt"
	"strings"

	"github.com/boxinit/boxinit/internal/users"
)

// keys synchronises ~/.ssh/authorized_keys with DEFAULT_KEY and the keys of
// DEFAULT_KEY_IMPORT. Problems are warnings: a login server without a key
// from one source still boots.
func (b *Boot) keys(ctx context.Context) (Outcome, string, error) {
	a := b.cfg.User
	if a == nil {
		return Skipped, "DEFAULT_USER is not set", nil
	}
	var warnings []string
	literal, w := users.ParseKeys(users.SourceLiteral, b.cfg.Keys)
	warnings = append(warnings, w...)
	sets := []users.KeySet{{Source: users.SourceLiteral, Keys: literal}}
	if len(b.cfg.Imports) > 0 {
		for _, imp := range b.importer.Import(ctx, b.cfg.Imports) {
			sets = append(sets, imp.Set)
			warnings = append(warnings, imp.Warnings...)
		}
	}
	if err := ctx.Err(); err != nil {
		return fail(err) // stopping: leave authorized_keys as it was
	}
	changed, err := users.SyncAuthorizedKeys(b.cfg.Root, *a, sets)
	if err != nil {
		return fail(err)
	}
	n, kept := 0, 0
	for _, s := range sets {
		n += len(s.Keys)
		if s.Keep {
			kept++
		}
	}
	sources := len(b.cfg.Imports)
	if strings.TrimSpace(b.cfg.Keys) != "" {
		sources++
	}
	msg := "no keys: DEFAULT_KEY and DEFAULT_KEY_IMPORT are unset"
	if sources > 0 {
		msg = fmt.Sprintf("%s from %s", plural(n, "key"), plural(sources, "source"))
	}
	if kept > 0 {
		msg += fmt.Sprintf("; %s kept the keys of last time", plural(kept, "source"))
	}
	if len(warnings) > 0 {
		return Warning, msg + "; " + strings.Join(warnings, "; "), nil
	}
	return outcome(changed), msg, nil
}

// plural writes "1 key", "2 keys".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
