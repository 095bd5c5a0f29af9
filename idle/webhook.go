package idle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
)

// Outcome is how a delivery attempt ended.
type Outcome string

const (
	Delivered Outcome = "delivered" // 2xx: never sent again
	Retry     Outcome = "retry"     // network error, 5xx, 408 or 429: tried again later
	Rejected  Outcome = "rejected"  // another 4xx (or 3xx): the receiver refuses it, never retried
	GaveUp    Outcome = "gave_up"   // MaxAttempts reached without delivery
)

// Pending is a case event (one state of a case) not yet delivered, rejected or given up.
type Pending struct {
	Case     CaseID
	Seq      uint32
	State    State
	On       calendar.Date
	Attempts uint32
}

// Delivery is one recorded attempt.
type Delivery struct {
	Case       CaseID
	Seq        uint32
	Event      string
	URL        string
	Attempt    uint32
	At         time.Time
	StatusCode int
	Outcome    Outcome
	Error      string
}

// DeliveryStore is what delivering reads and records.
type DeliveryStore interface {
	Cases(ctx context.Context) ([]Case, error)
	PendingDeliveries(ctx context.Context) ([]Pending, error)
	SaveDelivery(ctx context.Context, d Delivery) error
}

// Webhook posts case events as JSON to the multi-cloud management system. It follows
// no redirect (a 3xx answer is recorded as rejected, never as delivered: the event and
// its body go to the URL given and nowhere else) and sends to http(s) URLs only.
// Credentials are a separate secret (User, Password: HTTP basic authentication); ones
// written into URL (http://user:password@host/) are taken out of it: deliveries record,
// list and log the URL without them.
type Webhook struct {
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

// Validate reports a webhook that cannot be used.
func (w Webhook) Validate() error {
	if w.URL == "" {
		return errors.New("webhook: no URL")
	}
	clean, _, _ := SplitCredentials(w.URL)
	req, err := http.NewRequest(http.MethodPost, w.URL, nil)
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

// endpoint is the URL to post to, without credentials, and the credentials to send.
func (w Webhook) endpoint() (clean, user, password string) {
	clean, user, password = SplitCredentials(w.URL)
	if w.User != "" || w.Password != "" {
		user, password = w.User, w.Password
	}
	return clean, user, password
}

// EventName is the event name of a case state.
func EventName(st State) string { return "idle.case." + string(st) }

// Payload is the JSON body of a case event.
type Payload struct {
	Event      string          `json:"event"`
	Case       CaseID          `json:"case_id"`
	Department string          `json:"department_id"`
	Parent     string          `json:"parent_department_id,omitempty"`
	Kind       Kind            `json:"kind"`
	State      State           `json:"state"`
	StateOn    calendar.Date   `json:"state_on"`
	Reminder   calendar.Date   `json:"reminder_date"`
	Deadline   calendar.Date   `json:"deadline"`
	Ratio      decimal.Decimal `json:"redundancy_ratio"`
	IdleRatio  string          `json:"idle_ratio"`
	Allocated  decimal.Decimal `json:"allocated"`
	Target     decimal.Decimal `json:"recommended_total"`
	Saving     string          `json:"monthly_saving"`
	Resources  []PayloadOrder  `json:"resources"`
}

// PayloadOrder is a resource named to reduce.
type PayloadOrder struct {
	Order       string          `json:"order_id"`
	Resource    string          `json:"resource_id"`
	Item        string          `json:"item_code"`
	Zone        string          `json:"zone"`
	Allocated   decimal.Decimal `json:"allocated"`
	Recommended decimal.Decimal `json:"recommended_quantity"`
	Saving      string          `json:"monthly_saving"`
}

// PayloadOf is the event body of a case in state st on day on.
func PayloadOf(c Case, st State, on calendar.Date) Payload {
	p := Payload{Event: EventName(st), Case: c.ID, Department: string(c.Department), Parent: string(c.Parent), Kind: c.Kind,
		State: st, StateOn: on, Reminder: c.Reminder, Deadline: c.Deadline, Ratio: c.Ratio, IdleRatio: c.IdleRatio.StringFixed(4),
		Allocated: c.Allocated, Target: c.Target, Saving: money.Plain(c.Saving), Resources: []PayloadOrder{}}
	for _, o := range c.Orders {
		if o.Named() {
			p.Resources = append(p.Resources, PayloadOrder{string(o.Order), string(o.Resource), string(o.Item), string(o.Zone),
				o.Allocated, o.Recommended, money.Plain(o.Saving)})
		}
	}
	return p
}

// DeliverReport counts what a run did.
type DeliverReport struct {
	Delivered, Rejected, GaveUp, Waiting int
}

// Deliver sends every pending case event, each at most Tries times in this run, recording
// every attempt. An event delivered (2xx) or rejected (4xx other than 408 and 429) is
// never sent again; one still failing waits for the next run, until MaxAttempts.
func (w Webhook) Deliver(ctx context.Context, st DeliveryStore) (DeliverReport, error) {
	var rep DeliverReport
	if err := w.Validate(); err != nil {
		return rep, err
	}
	pend, err := st.PendingDeliveries(ctx)
	if err != nil || len(pend) == 0 {
		return rep, err
	}
	cases, err := st.Cases(ctx)
	if err != nil {
		return rep, err
	}
	byID := map[CaseID]Case{}
	for _, c := range cases {
		byID[c.ID] = c
	}
	for _, p := range pend {
		c, ok := byID[p.Case]
		if !ok {
			continue
		}
		out, err := w.deliverOne(ctx, st, c, p)
		if err != nil {
			return rep, err
		}
		switch out {
		case Delivered:
			rep.Delivered++
		case Rejected:
			rep.Rejected++
		case GaveUp:
			rep.GaveUp++
		default:
			rep.Waiting++
		}
	}
	return rep, nil
}

func (w Webhook) deliverOne(ctx context.Context, st DeliveryStore, c Case, p Pending) (Outcome, error) {
	body, err := json.Marshal(PayloadOf(c, p.State, p.On))
	if err != nil {
		return "", err
	}
	tries, wait, maxAtt := w.Tries, w.Backoff, w.MaxAttempts
	if tries <= 0 {
		tries = 3
	}
	if wait <= 0 {
		wait = time.Second
	}
	if maxAtt == 0 {
		maxAtt = 20
	}
	now := w.Now
	if now == nil {
		now = time.Now
	}
	client := &http.Client{Timeout: 10 * time.Second}
	if w.Client != nil {
		c := *w.Client
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	target, user, password := w.endpoint()
	attempt := p.Attempts
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
		d := Delivery{Case: c.ID, Seq: p.Seq, Event: EventName(p.State), URL: target, Attempt: attempt, At: now()}
		code, location, err := post(ctx, client, postParams{url: target, user: user, password: password, body: body, key: fmt.Sprintf("%s/%d", c.ID, p.Seq)})
		d.StatusCode = code
		switch {
		case err != nil:
			d.Outcome, d.Error = Retry, err.Error()
		case code >= 300 && code < 400:
			loc, _, _ := SplitCredentials(location)
			d.Outcome, d.Error = Rejected, fmt.Sprintf("%s: redirect to %q not followed (the webhook follows no redirect; give its final URL)", http.StatusText(code), cut(loc, 512))
		case code >= 200 && code < 300:
			d.Outcome = Delivered
		case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
			d.Outcome, d.Error = Retry, http.StatusText(code)
		default:
			d.Outcome, d.Error = Rejected, http.StatusText(code)
		}
		if d.Outcome == Retry && attempt >= maxAtt {
			d.Outcome = GaveUp
		}
		if err := st.SaveDelivery(ctx, d); err != nil {
			return "", err
		}
		if d.Outcome != Retry {
			return d.Outcome, nil
		}
	}
	return Retry, nil
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
