// Package webhook posts events as JSON to the multi-cloud management system's webhook:
// the one delivery mechanism of cloudbill's notices (idle case events, budget warnings).
// It follows no redirect, sends to http(s) URLs only, keeps credentials out of the URL it
// records, retries a network error, 5xx, 408 and 429 a few times per run and gives up
// after a number of attempts over all runs. What is pending and each attempt are the
// caller's to store (Send reports every attempt to a callback).
package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Outcome is how a delivery attempt ended.
type Outcome string

const (
	Delivered Outcome = "delivered" // 2xx: never sent again
	Retry     Outcome = "retry"     // network error, 5xx, 408 or 429: tried again later
	Rejected  Outcome = "rejected"  // another 4xx (or 3xx): the receiver refuses it, never retried
	GaveUp    Outcome = "gave_up"   // MaxAttempts reached without delivery
)

// Final reports an outcome after which the event is never sent again.
func (o Outcome) Final() bool { return o == Delivered || o == Rejected || o == GaveUp }

// Endpoint is a webhook. Credentials are a separate secret (User, Password: HTTP basic
// authentication); ones written into URL (http://user:password@host/) are taken out of
// it: attempts report the URL without them.
type Endpoint struct {
	URL            string
	User, Password string
	Client         *http.Client // default: a client with a 10 s timeout; redirects are never followed
	// Tries is the number of attempts per event and run (default 3), Backoff the wait
	// before the second (doubling after; default 1 s).
	Tries   int
	Backoff time.Duration
	// MaxAttempts over all runs before giving up (default 20).
	MaxAttempts uint32
	Now         func() time.Time
}

// Validate reports an endpoint that cannot be used.
func (e Endpoint) Validate() error {
	if e.URL == "" {
		return errors.New("webhook: no URL")
	}
	clean, _, _ := SplitCredentials(e.URL)
	req, err := http.NewRequest(http.MethodPost, e.URL, nil)
	if err != nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") || req.URL.Host == "" {
		return fmt.Errorf("webhook URL %q: want http(s)://host/path", clean)
	}
	return nil
}

// SplitCredentials takes the credentials out of a URL: the URL without them (what is
// stored and shown) and the user and password it held ("" when none). A URL that does not
// parse is returned as "(unparsable URL)".
func SplitCredentials(raw string) (clean, user, password string) {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)", "", ""
	}
	if u.User == nil {
		return raw, "", ""
	}
	user = u.User.Username()
	password, _ = u.User.Password()
	u.User = nil
	return u.String(), user, password
}

// Target is the URL events are posted to, without credentials (what attempts record).
func (e Endpoint) Target() string {
	clean, _, _ := SplitCredentials(e.URL)
	return clean
}

// endpoint is the URL to post to, without credentials, and the credentials to send.
func (e Endpoint) endpoint() (clean, user, password string) {
	clean, user, password = SplitCredentials(e.URL)
	if e.User != "" || e.Password != "" {
		user, password = e.User, e.Password
	}
	return clean, user, password
}

// Attempt is one attempt to deliver an event, as Send reports it.
type Attempt struct {
	URL        string // without credentials
	Number     uint32 // 1 for the event's first attempt over all runs
	At         time.Time
	StatusCode int
	Outcome    Outcome
	Error      string
}

// Event is one event to deliver.
type Event struct {
	// Key identifies the event to the receiver (the Idempotency-Key header): the same
	// event sent again carries the same key.
	Key  string
	Body []byte // JSON
	// Attempts made in earlier runs.
	Attempts uint32
}

// Send posts ev at most Tries times in this run, reporting each attempt to record (which
// stores it; its error stops the run). It returns the last outcome: Retry when the event
// is still to be sent in a later run.
func (e Endpoint) Send(ctx context.Context, ev Event, record func(Attempt) error) (Outcome, error) {
	tries, wait, maxAtt := e.Tries, e.Backoff, e.MaxAttempts
	if tries <= 0 {
		tries = 3
	}
	if wait <= 0 {
		wait = time.Second
	}
	if maxAtt == 0 {
		maxAtt = 20
	}
	now := e.Now
	if now == nil {
		now = time.Now
	}
	client := &http.Client{Timeout: 10 * time.Second}
	if e.Client != nil {
		c := *e.Client
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	target, user, password := e.endpoint()
	attempt := ev.Attempts
	for i := 0; i < tries; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(wait):
			}
			wait *= 2
		}
		attempt++
		a := Attempt{URL: target, Number: attempt, At: now()}
		code, location, err := post(ctx, client, postParams{url: target, user: user, password: password, body: ev.Body, key: ev.Key})
		a.StatusCode = code
		switch {
		case err != nil:
			a.Outcome, a.Error = Retry, err.Error()
		case code >= 300 && code < 400:
			loc, _, _ := SplitCredentials(location)
			a.Outcome, a.Error = Rejected, fmt.Sprintf("%s: redirect to %q not followed (the webhook follows no redirect; give its final URL)", http.StatusText(code), cut(loc, 512))
		case code >= 200 && code < 300:
			a.Outcome = Delivered
		case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
			a.Outcome, a.Error = Retry, http.StatusText(code)
		default:
			a.Outcome, a.Error = Rejected, http.StatusText(code)
		}
		if a.Outcome == Retry && attempt >= maxAtt {
			a.Outcome = GaveUp
		}
		if err := record(a); err != nil {
			return "", err
		}
		if a.Outcome != Retry {
			return a.Outcome, nil
		}
	}
	return Retry, nil
}

// Report counts what a delivery run did.
type Report struct {
	Delivered, Rejected, GaveUp, Waiting int
}

// Add counts an event's outcome.
func (r *Report) Add(o Outcome) {
	switch o {
	case Delivered:
		r.Delivered++
	case Rejected:
		r.Rejected++
	case GaveUp:
		r.GaveUp++
	default:
		r.Waiting++
	}
}

type postParams struct {
	url, user, password string
	body                []byte
	key                 string
}

// post sends one attempt; it returns the status code and, for a redirect, its Location.
func post(ctx context.Context, c *http.Client, p postParams) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(p.body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", p.key)
	if p.user != "" || p.password != "" {
		req.SetBasicAuth(p.user, p.password)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location"), nil
}

// cut shortens s to at most n bytes (an answer's header is not ours to store whole).
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
