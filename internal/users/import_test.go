package users

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeImporter points an Importer at a fake key server with short waits.
func fakeImporter(url string) *Importer {
	im := NewImporter(url, url)
	im.Backoff = 10 * time.Millisecond
	im.Client.Timeout = 500 * time.Millisecond
	im.Total = 3 * time.Second
	return im
}

func TestImport_FetchesGitHubAndLaunchpadKeysFromTheirPlainTextURLs(t *testing.T) {
	a, b := newKey(t, "a"), newKey(t, "b")
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		switch r.URL.Path {
		case "/alice.keys":
			fmt.Fprintln(w, a)
		case "/~bob/+sshkeys":
			fmt.Fprintln(w, b)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	res := fakeImporter(srv.URL).Import(context.Background(), []string{"gh:alice", "lp:bob"})
	require.Len(t, res, 2)
	assert.Equal(t, a, res[0].Set.Keys[0].Line)
	assert.Equal(t, b, res[1].Set.Keys[0].Line)
	assert.Empty(t, res[0].Warnings)
	assert.ElementsMatch(t, []string{"/alice.keys", "/~bob/+sshkeys"}, paths)
}

func TestImport_EveryKindOfFailureIsAWarningNamingTheID(t *testing.T) {
	var flaky atomic.Int32
	keys := make([]string, 35)
	for i := range keys {
		keys[i] = newKey(t, fmt.Sprint(i))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/empty.keys":
		case "/html.keys":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<html><body>Sign in</body></html>")
		case "/busy.keys": // 429, then 503, then keys
			switch flaky.Add(1) {
			case 1:
				w.WriteHeader(http.StatusTooManyRequests)
			case 2:
				w.WriteHeader(http.StatusServiceUnavailable)
			default:
				fmt.Fprintln(w, keys[0])
			}
		case "/down.keys":
			w.WriteHeader(http.StatusBadGateway)
		case "/hang.keys":
			<-r.Context().Done()
		case "/text.keys": // a captive portal or proxy page sent as text/plain
			fmt.Fprintln(w, "Please sign in to the guest network")
			fmt.Fprintln(w, keys[0])
		case "/many.keys":
			fmt.Fprint(w, strings.Join(keys, "\r\n"))
		case "/huge.keys":
			fmt.Fprint(w, strings.Repeat(keys[0]+"\n", 20000))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	for _, tc := range []struct {
		id      string
		keys    int
		keep    bool
		warning string
	}{
		{"gh:missing", 0, true, "gh:missing: GET " + srv.URL + "/missing.keys: 404 not found (no such user?); keeping the keys imported last time"},
		{"gh:empty", 0, false, "gh:empty: the answer holds no keys"},
		{"gh:html", 0, true, "answered an HTML page, not keys; keeping the keys imported last time"},
		{"gh:text", 0, true, "gh:text: the answer is not a list of public keys (line 1 of gh:text is not a public key); keeping"},
		{"gh:busy", 1, false, ""},
		{"gh:down", 0, true, "502 Bad Gateway (gave up after 4 attempts); keeping the keys imported last time"},
		{"gh:hang", 0, true, "keeping the keys imported last time"},
		{"gh:many", 35, false, ""},
		{"gh:huge", 0, true, "answer larger than 1048576 bytes; keeping"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			start := time.Now()
			res := fakeImporter(srv.URL).Import(context.Background(), []string{tc.id})[0]
			assert.Less(t, time.Since(start), 10*time.Second, "bounded in time")
			assert.Len(t, res.Set.Keys, tc.keys)
			assert.Equal(t, tc.keep, res.Set.Keep)
			if tc.warning == "" {
				assert.Empty(t, res.Warnings)
			} else {
				require.NotEmpty(t, res.Warnings)
				assert.Contains(t, res.Warnings[0], tc.warning)
				assert.True(t, strings.HasPrefix(res.Warnings[0], tc.id), "names the id: %s", res.Warnings[0])
			}
		})
	}
}

func TestImport_ARefusedConnectionKeepsLastBootsKeysAndOneFailingIDNeverStopsTheOthers(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + l.Addr().String()
	l.Close() // nothing listens there now

	a := newKey(t, "a")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, a) }))
	defer srv.Close()
	im := fakeImporter(srv.URL)
	im.LaunchpadURL = dead
	res := im.Import(context.Background(), []string{"lp:bob", "gh:alice"})
	assert.True(t, res[0].Set.Keep)
	assert.Contains(t, res[0].Warnings[0], "connection refused")
	require.Len(t, res[1].Set.Keys, 1)
	assert.Equal(t, a, res[1].Set.Keys[0].Line)
}

// A server that accepts the connection and never answers, with a client
// timeout longer than the whole import budget: the budget ends in the
// middle of the request. The keys of last time must stay.
func TestImport_ABudgetThatRunsOutMidRequestKeepsLastBootsKeys(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() { // a black hole: accept, read nothing, answer nothing
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	im := fakeImporter("http://" + l.Addr().String())
	im.Client.Timeout = time.Minute
	im.Total = 300 * time.Millisecond
	start := time.Now()
	res := im.Import(context.Background(), []string{"gh:alice", "lp:bob"})
	t.Logf("gave up after %v", time.Since(start))
	for _, r := range res {
		assert.True(t, r.Set.Keep, "%s: last boot's keys must stay", r.Set.Source)
		require.Len(t, r.Warnings, 1)
		assert.Contains(t, r.Warnings[0], "no answer within the import budget of 300ms")
		assert.Contains(t, r.Warnings[0], "keeping the keys imported last time")
	}
}

func TestValidateImportID_AcceptsOnlyGhAndLpNames(t *testing.T) {
	for _, ok := range []string{"gh:alice", "lp:bob-smith", "gh:A1.b_c"} {
		assert.NoError(t, ValidateImportID(ok), ok)
	}
	for _, bad := range []string{"alice", "gh:", "gh:../etc", "gh:a/b", "gh:a b", "bb:alice", "gh:a..b", "gh:-x"} {
		assert.Error(t, ValidateImportID(bad), bad)
	}
}
