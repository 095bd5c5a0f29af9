package idle

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/internal/webhook"
)

// Outcome is how a delivery attempt ended (the webhook package's).
type Outcome = webhook.Outcome

const (
	Delivered = webhook.Delivered // 2xx: never sent again
	Retry     = webhook.Retry     // network error, 5xx, 408 or 429: tried again later
	Rejected  = webhook.Rejected  // another 4xx (or 3xx): the receiver refuses it, never retried
	GaveUp    = webhook.GaveUp    // MaxAttempts reached without delivery
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

// Webhook posts case events as JSON to the multi-cloud management system: a
// webhook.Endpoint (no redirect followed, http(s) only, credentials kept out of the
// recorded URL, retries and giving up as that package does them).
type Webhook webhook.Endpoint

// Validate reports a webhook that cannot be used.
func (w Webhook) Validate() error { return webhook.Endpoint(w).Validate() }

// SplitCredentials takes the credentials out of a URL (webhook.SplitCredentials).
func SplitCredentials(raw string) (clean, user, password string) {
	return webhook.SplitCredentials(raw)
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
type DeliverReport = webhook.Report

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
		body, err := json.Marshal(PayloadOf(c, p.State, p.On))
		if err != nil {
			return rep, err
		}
		ev := webhook.Event{Key: fmt.Sprintf("%s/%d", c.ID, p.Seq), Body: body, Attempts: p.Attempts}
		out, err := webhook.Endpoint(w).Send(ctx, ev, func(a webhook.Attempt) error {
			return st.SaveDelivery(ctx, Delivery{Case: c.ID, Seq: p.Seq, Event: EventName(p.State), URL: a.URL, Attempt: a.Number,
				At: a.At, StatusCode: a.StatusCode, Outcome: a.Outcome, Error: a.Error})
		})
		if err != nil {
			return rep, err
		}
		rep.Add(out)
	}
	return rep, nil
}
