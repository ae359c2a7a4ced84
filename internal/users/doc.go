// Package users edits the account files natively — no useradd, visudo or
// ssh-import-id in the image — so that the admin user comes out the same on
// Debian, Ubuntu, Alpine and distroless-like images.
//
//   - [EnsureAccount]: passwd, group, shadow and gshadow entries as Debian's
//     useradd writes them, under the shadow-utils lock, each file replaced
//     atomically with a "-" backup; the home created and seeded from
//     /etc/skel only when it is new.
//   - [EnsureSudoers]: /etc/sudoers.d/<user>, 0440, written atomically.
//   - [Importer] and [SyncAuthorizedKeys]: keys from DEFAULT_KEY and
//     gh:/lp: imports, synchronised into ~/.ssh/authorized_keys (managed lines
//     carry "# boxinit SOURCE"; hand-added lines stay) without following a
//     link the user planted.
//   - [Command]: a command that runs as the user (or root) inside the root
//     directory, for the reaper; [Identity.Env] its login environment.
//
// Every function takes the root directory of the system it edits.
package users
