package funding

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"cloudbill/internal/money"
	"cloudbill/internal/webhook"
)

// WarningEvent is the event name of a warning of threshold t.
func WarningEvent(t Threshold) string { return "budget.warning." + string(t) }

// PendingWarning is a recorded warning not yet delivered, rejected or given up, with the
// attempts made so far.
type PendingWarning struct {
	Key      WarningKey
	Attempts uint32
}

// WarningDelivery is one recorded attempt to deliver a warning.
type WarningDelivery struct {
	Key        WarningKey
	Event      string
	URL        string // without credentials
	Attempt    uint32
	At         time.Time
	StatusCode int
	Outcome    webhook.Outcome
	Error      string
}

// WarningDeliveryStore is what delivering warnings reads and records.
type WarningDeliveryStore interface {
	BudgetWarnings(ctx context.Context, year int) ([]Warning, error)
	PendingWarningDeliveries(ctx context.Context) ([]PendingWarning, error)
	SaveWarningDelivery(ctx context.Context, d WarningDelivery) error
}

// WarningPayload is the JSON body of a warning event.
type WarningPayload struct {
	Event      string `json:"event"`
	Project    string `json:"project_id"`
	Department string `json:"department_id"`
	Parent     string `json:"parent_department_id,omitempty"`
	Year       int    `json:"year"`
	Threshold  string `json:"threshold"`
	// ThresholdName is the threshold's Chinese name (the glossary's).
	ThresholdName string `json:"threshold_name"`
	// ThresholdShare is the threshold's share of the budget in force when it fired
	// ("0.8": 80%; "" for a warning recorded before shares were).
	ThresholdShare string `json:"threshold_share"`
	Budget         string `json:"budget"`
	Spent          string `json:"spent"`
	Forecast       string `json:"forecast"`
	RunID          string `json:"run_id"`
	Period         string `json:"period"`
	FiredAt        string `json:"fired_at"`
}

// PayloadOfWarning is the event body of w.
func PayloadOfWarning(w Warning) WarningPayload {
	return WarningPayload{Event: WarningEvent(w.Threshold), Project: string(w.Project), Department: string(w.Department),
		Parent: string(w.Parent), Year: w.Year, Threshold: string(w.Threshold), ThresholdName: Label(string(w.Threshold)),
		ThresholdShare: w.ShareText(),
		Budget:         money.Plain(w.Budget), Spent: money.Plain(w.Spent), Forecast: money.Plain(w.Forecast),
		RunID: w.RunID, Period: w.Period, FiredAt: w.At.UTC().Format(time.RFC3339)}
}

// DeliverWarnings posts every recorded warning not yet delivered to ep (the webhook
// the idle case events use, by the same rules: at most ep.Tries attempts a run, 2xx
// delivers, another 4xx or a 3xx rejects, a network error, 5xx, 408 or 429 waits for the
// next run until ep.MaxAttempts), recording every attempt. A warning is recorded once
// (Warn) and delivered once: its Idempotency-Key is budget/PROJECT/YEAR/THRESHOLD.
func DeliverWarnings(ctx context.Context, ep webhook.Endpoint, st WarningDeliveryStore) (webhook.Report, error) {
	var rep webhook.Report
	if err := ep.Validate(); err != nil {
		return rep, err
	}
	pend, err := st.PendingWarningDeliveries(ctx)
	if err != nil || len(pend) == 0 {
		return rep, err
	}
	byKey := map[WarningKey]Warning{}
	for _, p := range pend {
		if _, ok := byKey[p.Key]; ok {
			continue
		}
		ws, err := st.BudgetWarnings(ctx, p.Key.Year)
		if err != nil {
			return rep, err
		}
		for _, w := range ws {
			byKey[WarningKey{w.Project, w.Year, w.Threshold}] = w
		}
	}
	for _, p := range pend {
		w, ok := byKey[p.Key]
		if !ok {
			continue
		}
		body, err := json.Marshal(PayloadOfWarning(w))
		if err != nil {
			return rep, err
		}
		event := WarningEvent(w.Threshold)
		ev := webhook.Event{Key: fmt.Sprintf("budget/%s/%d/%s", w.Project, w.Year, w.Threshold), Body: body, Attempts: p.Attempts}
		out, err := ep.Send(ctx, ev, func(a webhook.Attempt) error {
			return st.SaveWarningDelivery(ctx, WarningDelivery{Key: p.Key, Event: event, URL: a.URL, Attempt: a.Number, At: a.At,
				StatusCode: a.StatusCode, Outcome: a.Outcome, Error: a.Error})
		})
		if err != nil {
			return rep, err
		}
		rep.Add(out)
	}
	return rep, nil
}
