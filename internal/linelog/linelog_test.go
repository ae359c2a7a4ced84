package linelog

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCopy_EmitsWholeLinesAndSplitsOnlyOverlongOnes(t *testing.T) {
	long := strings.Repeat("x", MaxLine+10)
	var got []string
	Copy(strings.NewReader("one\r\ntwo\n"+long+"\nlast without newline"), func(l string) { got = append(got, l) })
	require.Len(t, got, 5)
	assert.Equal(t, []string{"one", "two"}, got[:2])
	assert.Len(t, got[2], MaxLine, "memory is bounded by MaxLine")
	assert.Equal(t, strings.Repeat("x", 10), got[3])
	assert.Equal(t, "last without newline", got[4])
}

func TestPipe_WaitReturnsEvenWhenSomeoneKeepsTheWriteEndOpen(t *testing.T) {
	lines := make(chan string, 10)
	w, wait, err := Pipe(func(l string) { lines <- l }, 100*time.Millisecond)
	require.NoError(t, err)
	_, _ = w.WriteString("hello\n")
	held := w // a background grandchild still holds it
	defer held.Close()
	start := time.Now()
	wait()
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, "hello", <-lines)
}
