package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readers are the functions through which boxinit reads a variable: the
// config's source.get and alias (rc.env over the environment), the
// reaper's getenv, and the os package's.
var readers = map[string]bool{"get": true, "alias": true, "getenv": true, "Getenv": true, "LookupEnv": true}

var varName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// variablesTheCodeReads walks the non-test Go files of cmd/ and internal/
// and returns every NAME in a call like src.get("NAME"), alias(src,
// "NAME", "OLD"), os.LookupEnv("NAME") or getenv(env, "NAME"), with where.
func variablesTheCodeReads(t *testing.T) map[string]string {
	found := map[string]string{}
	fset := token.NewFileSet()
	for _, dir := range []string{"../../cmd", "../../internal"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				var fn string
				switch f := call.Fun.(type) {
				case *ast.Ident:
					fn = f.Name
				case *ast.SelectorExpr:
					fn = f.Sel.Name
				}
				if !readers[fn] {
					return true
				}
				for _, a := range call.Args {
					if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						if s, err := strconv.Unquote(lit.Value); err == nil && varName.MatchString(s) {
							found[s] = fset.Position(lit.Pos()).String()
						}
					}
				}
				return true
			})
			return nil
		})
		require.NoError(t, err)
	}
	return found
}

// packageDoc is the doc comment of package main (main.go's).
func packageDoc(t *testing.T) string {
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	require.NoError(t, err)
	require.NotNil(t, f.Doc, "main.go has the package doc")
	return f.Doc.Text()
}

func helpText(t *testing.T) string {
	var stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"--help"}, nil, &stderr))
	return stderr.String()
}

func TestHelpAndPackageDoc_NameEveryVariableTheCodeReads(t *testing.T) {
	read := variablesTheCodeReads(t)
	// The walk itself works: it finds reads of each kind.
	for _, name := range []string{"DEFAULT_USER", "SSH_HOST_PRINCIPALS", "DEFAULT_KEYS", "BOXINIT_SOCKET", "PATH"} {
		require.Contains(t, read, name, "variablesTheCodeReads misses a known read")
	}
	help, doc := helpText(t), packageDoc(t)
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	for name, where := range read {
		word := regexp.MustCompile(`\b` + name + `\b`)
		assert.True(t, word.MatchString(help), "%s (read at %s) is missing from boxinit --help", name, where)
		assert.True(t, word.MatchString(doc), "%s (read at %s) is missing from the package doc of cmd/boxinit", name, where)
		assert.True(t, word.Match(readme), "%s (read at %s) is missing from README.md", name, where)
	}
}

func TestHelpAndPackageDoc_NameEveryFlag(t *testing.T) {
	help, doc := helpText(t), packageDoc(t)
	flags := regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([a-z-]+)`).FindAllStringSubmatch(help, -1)
	require.Greater(t, len(flags), 10, "the flags in --help:\n%s", help)
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	for _, m := range flags {
		flag := regexp.MustCompile(`--` + m[1] + `\b`)
		assert.True(t, flag.MatchString(doc), "--%s is missing from the package doc of cmd/boxinit", m[1])
		assert.True(t, flag.Match(readme), "--%s is missing from README.md", m[1])
	}
}
