package status

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The document's types are this package's own: a field renamed in a
// package that produces the values (boot, reaper, cron, services) cannot
// change the versioned format, because this package does not import them.
func TestDocument_BorrowsNoTypeFromThePackagesThatProduceItsValues(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			assert.False(t, strings.HasPrefix(path, "github.com/boxinit/boxinit/internal/"), "%s imports %s", f, path)
		}
	}
}
