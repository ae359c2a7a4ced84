package users

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// newKey returns a fresh authorized_keys line with the given comment.
func newKey(t testing.TB, comment string) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	sp, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " " + comment
}

func TestParseKeys_KeepsKeysAndWarnsAboutEveryOtherLineWithoutQuotingIt(t *testing.T) {
	a, b := newKey(t, "a@x"), newKey(t, "b@y")
	text := "# comment\r\n" + a + "\r\n\r\n-----BEGIN OPENSSH PRIVATE KEY-----\r\n<html>\r\n" + b + "\r\n"
	keys, warnings := ParseKeys("gh:alice", text)
	require.Len(t, keys, 2)
	assert.Equal(t, a, keys[0].Line, "CR of CRLF dropped")
	assert.Equal(t, b, keys[1].Line)
	assert.Equal(t, []string{
		`line 4 of gh:alice is not a public key`,
		`line 5 of gh:alice is not a public key`,
	}, warnings)
}

func TestMergeAuthorizedKeys_SynchronisesManagedLinesAndKeepsHandAddedOnes(t *testing.T) {
	hand, lit, gh1, gh2, gone := newKey(t, "by-hand"), newKey(t, "literal"), newKey(t, "gh1"), newKey(t, "gh2"), newKey(t, "gone")
	old := "# my own notes\n" + gone + " # boxinit gh:alice\n" + hand + "\n" + gh1 + " # boxinit gh:alice\n"
	ghKeys, _ := ParseKeys("gh:alice", gh1+"\n"+gh2+"\n"+hand) // hand is also upstream
	litKeys, _ := ParseKeys(SourceLiteral, lit)

	got := mergeAuthorizedKeys(old, []KeySet{{Source: SourceLiteral, Keys: litKeys}, {Source: "gh:alice", Keys: ghKeys}})
	assert.Equal(t, "# my own notes\n"+hand+"\n"+
		lit+" # boxinit DEFAULT_KEY\n"+
		gh1+" # boxinit gh:alice\n"+
		gh2+" # boxinit gh:alice\n", got,
		"a key removed upstream is gone, a hand-added one stays in place and is not repeated")
	assert.Equal(t, got, mergeAuthorizedKeys(got, []KeySet{{Source: SourceLiteral, Keys: litKeys}, {Source: "gh:alice", Keys: ghKeys}}),
		"a second sync changes nothing")
}

func TestMergeAuthorizedKeys_KeepsLastBootsKeysOfAnUnreachableSource(t *testing.T) {
	k1, k2 := newKey(t, "one"), newKey(t, "two")
	old := k1 + " # boxinit gh:alice\n" + k2 + " # boxinit lp:bob\n"
	got := mergeAuthorizedKeys(old, []KeySet{{Source: "gh:alice", Keep: true}, {Source: "lp:bob"}})
	assert.Equal(t, k1+" # boxinit gh:alice\n", got, "gh:alice was unreachable: kept; lp:bob answered with no keys: dropped")
}

func TestMergeAuthorizedKeys_WritesAKeyFromTwoSourcesOnce(t *testing.T) {
	k := newKey(t, "same")
	lit, _ := ParseKeys(SourceLiteral, k)
	gh, _ := ParseKeys("gh:alice", k+"\n"+k)
	got := mergeAuthorizedKeys("", []KeySet{{Source: SourceLiteral, Keys: lit}, {Source: "gh:alice", Keys: gh}})
	assert.Equal(t, k+" # boxinit DEFAULT_KEY\n", got)
}

func FuzzMergeAuthorizedKeys(f *testing.F) {
	f.Add("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl x # boxinit gh:a\n# c\n", "gh:a")
	f.Add("", "DEFAULT_KEY")
	f.Add("x # boxinit lp:b\n\n\n", "lp:b")
	f.Fuzz(func(t *testing.T, old, source string) {
		if !sourceRE().MatchString(source) {
			return
		}
		once := mergeAuthorizedKeys(old, []KeySet{{Source: source, Keep: true}})
		twice := mergeAuthorizedKeys(once, []KeySet{{Source: source, Keep: true}})
		if once != twice {
			t.Fatalf("not idempotent:\n%q\n%q", once, twice)
		}
		for _, line := range strings.Split(old, "\n") {
			if _, src := splitMarker(line); src == "" && line != "" && !strings.Contains(once, line) {
				t.Fatalf("hand-added line %q was dropped", line)
			}
		}
	})
}
