package users

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
)

var importIDRE = lazyRegexp(`^(gh|lp):([A-Za-z0-9][A-Za-z0-9._-]{0,99})$`)

// ValidateImportID checks one DEFAULT_KEY_IMPORT id: gh:NAME or lp:NAME, as
// ssh-import-id writes them. NAME never holds '/', spaces or "..".
func ValidateImportID(id string) error {
	if !importIDRE().MatchString(id) || strings.Contains(id, "..") {
		return fmt.Errorf("%q: want gh:NAME or lp:NAME (letters, digits, '.', '_', '-')", id)
	}
	return nil
}

// Importer fetches public keys the way ssh-import-id does: gh:NAME from
// <GitHubURL>/NAME.keys (plain text, not the rate-limited API), lp:NAME
// from <LaunchpadURL>/~NAME/+sshkeys.
type Importer struct {
	GitHubURL    string
	LaunchpadURL string
	Client       *http.Client  // per-request timeout; proxies from the environment
	Attempts     int           // per id, on network errors, 5xx and 429
	Backoff      time.Duration // before the 2nd attempt; doubles each time
	Total        time.Duration // bound for all ids together
	MaxBytes     int64         // larger answers are refused
}

// NewImporter returns an Importer with the defaults boot uses.
func NewImporter(githubURL, launchpadURL string) *Importer {
	transport := http.DefaultTransport.(*http.Transport).Clone() // proxies from env, TLS verified
	return &Importer{
		GitHubURL:    strings.TrimSuffix(githubURL, "/"),
		LaunchpadURL: strings.TrimSuffix(launchpadURL, "/"),
		Client:       &http.Client{Timeout: 10 * time.Second, Transport: transport},
		Attempts:     4,
		Backoff:      500 * time.Millisecond,
		Total:        30 * time.Second,
		MaxBytes:     1 << 20,
	}
}

// Imported is the outcome for one id.
type Imported struct {
	Set      KeySet   // Keep is set when the keys could not be had
	Warnings []string // what went wrong, naming the id; never key material
}

// keepNote ends the warning of a source whose previous keys stay.
const keepNote = "; keeping the keys imported last time"

// Import fetches every id concurrently within Total. One failing id never
// stops the others; failures come back as warnings.
//
// Only a successful answer replaces a source's keys: 200 with a body that
// is a list of public keys (an empty list too: the account has no keys any
// more). Anything else — refused, reset, timed out, the Total budget ending
// mid-request, 404, 429, 5xx, an HTML page, a body with a line that is not
// a key, an answer too large — keeps the keys that source gave last time,
// so a slow or blocked key server never locks the user out. A source is
// dropped by removing it from DEFAULT_KEY_IMPORT.
func (im *Importer) Import(ctx context.Context, ids []string) []Imported {
	ctx, cancel := context.WithTimeout(ctx, im.Total)
	defer cancel()
	out := make([]Imported, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = im.importOne(ctx, id)
		}()
	}
	wg.Wait()
	return out
}

func (im *Importer) importOne(ctx context.Context, id string) Imported {
	keep := func(why string) Imported {
		return Imported{Set: KeySet{Source: id, Keep: true}, Warnings: []string{id + ": " + why + keepNote}}
	}
	body, err := im.fetch(ctx, id)
	if err != nil {
		return keep(err.Error())
	}
	keys, bad := ParseKeys(id, body)
	if len(bad) > 0 {
		return keep(fmt.Sprintf("the answer is not a list of public keys (%s)", strings.Join(bad, "; ")))
	}
	res := Imported{Set: KeySet{Source: id, Keys: keys}}
	if len(keys) == 0 {
		res.Warnings = append(res.Warnings, id+": the answer holds no keys")
	}
	return res
}

func (im *Importer) url(id string) string {
	name := id[3:]
	if strings.HasPrefix(id, "gh:") {
		return im.GitHubURL + "/" + name + ".keys"
	}
	return im.LaunchpadURL + "/~" + name + "/+sshkeys"
}

// fetch GETs the keys of id, retrying with backoff what may pass: network
// errors, 5xx and 429, while the budget of ctx lasts.
func (im *Importer) fetch(ctx context.Context, id string) (string, error) {
	if err := ValidateImportID(id); err != nil {
		return "", err
	}
	url := im.url(id)
	wait := im.Backoff
	var last error
	for attempt := 1; attempt <= im.Attempts; attempt++ {
		if attempt > 1 {
			select {
			case <-ctx.Done():
				return "", fmt.Errorf("%v (gave up after %d attempts: %w)", last, attempt-1, ctx.Err())
			case <-time.After(wait):
			}
			wait *= 2
		}
		body, retry, err := im.get(ctx, url)
		if err == nil {
			return body, nil
		}
		if !retry {
			return "", err
		}
		last = err
	}
	return "", fmt.Errorf("%v (gave up after %d attempts)", last, im.Attempts)
}

func (im *Importer) get(ctx context.Context, url string) (body string, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", false, err
	}
	req.Header.Set("User-Agent", "boxinit")
	resp, err := im.Client.Do(req)
	if err != nil { // refused, reset, timed out: worth another try while time is left
		if ctx.Err() != nil {
			return "", false, fmt.Errorf("GET %s: no answer within the import budget of %s: %w", url, im.Total, ctx.Err())
		}
		return "", true, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return "", false, fmt.Errorf("GET %s: 404 not found (no such user?)", url)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return "", true, fmt.Errorf("GET %s: %s", url, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return "", false, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/html" {
		return "", false, fmt.Errorf("GET %s: answered an HTML page, not keys", url)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, im.MaxBytes+1))
	if err != nil {
		return "", true, fmt.Errorf("GET %s: %w", url, err)
	}
	if int64(len(b)) > im.MaxBytes {
		return "", false, fmt.Errorf("GET %s: answer larger than %d bytes", url, im.MaxBytes)
	}
	return string(b), false, nil
}
