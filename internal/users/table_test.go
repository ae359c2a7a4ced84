package users

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePasswd_SkipsWhatIsNotAnEntry(t *testing.T) {
	in := "root:x:0:0:root:/root:/bin/bash\n# comment\n+nis::::::\nshort:x:1\nbad:x:uid:1::/:/bin/sh\nhuman:x:1000:1000:Human,,,:/home/human:/bin/bash"
	got, err := ParsePasswd(strings.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, []Passwd{
		{Name: "root", UID: 0, GID: 0, GECOS: "root", Home: "/root", Shell: "/bin/bash"},
		{Name: "human", UID: 1000, GID: 1000, GECOS: "Human,,,", Home: "/home/human", Shell: "/bin/bash"},
	}, got)
}

func TestParseGroup_SplitsMembers(t *testing.T) {
	got, err := ParseGroup(strings.NewReader("adm:x:4:syslog,human\nhuman:x:1000:\n"))
	require.NoError(t, err)
	assert.Equal(t, []Group{{Name: "adm", GID: 4, Members: []string{"syslog", "human"}}, {Name: "human", GID: 1000}}, got)
}

// Whatever a file holds, reading and writing it back changes no byte.
func FuzzTableRoundTrip(f *testing.F) {
	for _, s := range []string{"", "\n", "root:x:0:0:root:/root:/bin/bash\n", "a:b\r\nc", "# x\n\n\nno newline", ":::::::"} {
		f.Add([]byte(s))
	}
	seeds, _ := filepath.Glob("../../testdata/roots/*/etc/*") // real account files
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		tb, err := parseTable("passwd", 7, bytes.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if out := tb.bytes(); !bytes.Equal(out, in) {
			t.Fatalf("round trip changed %q into %q", in, out)
		}
		_, _ = ParsePasswd(bytes.NewReader(in))
		_, _ = ParseGroup(bytes.NewReader(in))
	})
}
