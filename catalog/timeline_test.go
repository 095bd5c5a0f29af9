package catalog

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
)

func qty(s string) Config {
	return Config{Department: "D1", Project: "P1", Vendor: "V1", Zone: ZoneExtranet, Item: "C01", Quantity: decimal.RequireFromString(s)}
}

func ev(kind EventKind, date, q string) Event {
	e := Event{Order: "WO-1", Kind: kind, Effective: calendar.MustDate(date)}
	if q != "" {
		e.Config = qty(q)
	}
	return e
}

// seg is a segment written as "from to quantity".
func segString(s Segment) string {
	return fmt.Sprintf("%s %s %s", s.From, s.To, s.Quantity)
}

func TestTimeline(t *testing.T) {
	cases := []struct {
		name    string
		events  []Event
		horizon string
		want    []string
	}{
		{"open runs to the horizon", []Event{ev(EventOpen, "2026-11-05", "2")}, "2026-11-30",
			[]string{"2026-11-05 2026-11-30 2"}},
		{"open and terminate: both days counted", []Event{ev(EventOpen, "2026-11-05", "2"), ev(EventTerminate, "2026-11-20", "")}, "2026-11-30",
			[]string{"2026-11-05 2026-11-20 2"}},
		{"open and terminate the same day: one day", []Event{ev(EventOpen, "2026-11-05", "2"), ev(EventTerminate, "2026-11-05", "")}, "2026-11-30",
			[]string{"2026-11-05 2026-11-05 2"}},
		{"change on day C: old to C−1, new from C", []Event{ev(EventOpen, "2026-11-01", "2"), ev(EventChange, "2026-11-10", "4")}, "2026-11-30",
			[]string{"2026-11-01 2026-11-09 2", "2026-11-10 2026-11-30 4"}},
		{"change on the open day replaces the open configuration", []Event{ev(EventOpen, "2026-11-10", "2"), ev(EventChange, "2026-11-10", "4")}, "2026-11-30",
			[]string{"2026-11-10 2026-11-30 4"}},
		{"two changes the same day: the later wins", []Event{ev(EventOpen, "2026-11-01", "2"), ev(EventChange, "2026-11-10", "4"), ev(EventChange, "2026-11-10", "6")}, "2026-11-30",
			[]string{"2026-11-01 2026-11-09 2", "2026-11-10 2026-11-30 6"}},
		{"change and terminate the same day: that day at the new configuration", []Event{ev(EventOpen, "2026-11-01", "2"), ev(EventChange, "2026-11-10", "4"), ev(EventTerminate, "2026-11-10", "")}, "2026-11-30",
			[]string{"2026-11-01 2026-11-09 2", "2026-11-10 2026-11-10 4"}},
		{"open, change, terminate the same day", []Event{ev(EventOpen, "2026-11-10", "2"), ev(EventChange, "2026-11-10", "4"), ev(EventTerminate, "2026-11-10", "")}, "2026-11-30",
			[]string{"2026-11-10 2026-11-10 4"}},
		{"month boundary: change on the 1st", []Event{ev(EventOpen, "2026-10-15", "2"), ev(EventChange, "2026-11-01", "3")}, "2026-11-30",
			[]string{"2026-10-15 2026-10-31 2", "2026-11-01 2026-11-30 3"}},
		{"year boundary: change on 1 January", []Event{ev(EventOpen, "2026-12-20", "2"), ev(EventChange, "2027-01-01", "3"), ev(EventTerminate, "2027-01-31", "")}, "2027-01-31",
			[]string{"2026-12-20 2026-12-31 2", "2027-01-01 2027-01-31 3"}},
		{"leap February: change on 29 February", []Event{ev(EventOpen, "2028-02-01", "1"), ev(EventChange, "2028-02-29", "2")}, "2028-03-31",
			[]string{"2028-02-01 2028-02-28 1", "2028-02-29 2028-03-31 2"}},
		{"leap February: change on 1 March", []Event{ev(EventOpen, "2028-02-10", "1"), ev(EventChange, "2028-03-01", "2")}, "2028-03-01",
			[]string{"2028-02-10 2028-02-29 1", "2028-03-01 2028-03-01 2"}},
		{"common February: change on 1 March", []Event{ev(EventOpen, "2027-02-10", "1"), ev(EventChange, "2027-03-01", "2")}, "2027-03-01",
			[]string{"2027-02-10 2027-02-28 1", "2027-03-01 2027-03-01 2"}},
		{"horizon cuts the terminate", []Event{ev(EventOpen, "2026-11-05", "2"), ev(EventTerminate, "2026-12-10", "")}, "2026-11-30",
			[]string{"2026-11-05 2026-11-30 2"}},
		{"horizon cuts a segment and drops later ones", []Event{ev(EventOpen, "2026-11-05", "2"), ev(EventChange, "2026-11-20", "3"), ev(EventChange, "2026-12-05", "4")}, "2026-11-25",
			[]string{"2026-11-05 2026-11-19 2", "2026-11-20 2026-11-25 3"}},
		{"horizon on a change day: the new configuration that day", []Event{ev(EventOpen, "2026-11-05", "2"), ev(EventChange, "2026-11-20", "3")}, "2026-11-20",
			[]string{"2026-11-05 2026-11-19 2", "2026-11-20 2026-11-20 3"}},
		{"horizon the day before a change", []Event{ev(EventOpen, "2026-11-05", "2"), ev(EventChange, "2026-11-20", "3")}, "2026-11-19",
			[]string{"2026-11-05 2026-11-19 2"}},
		{"opened after the horizon: nothing", []Event{ev(EventOpen, "2026-12-05", "2")}, "2026-11-30", nil},
		{"opened on the horizon: one day", []Event{ev(EventOpen, "2026-11-30", "2")}, "2026-11-30", []string{"2026-11-30 2026-11-30 2"}},
		{"terminate carries no configuration", []Event{ev(EventOpen, "2026-11-01", "2"), ev(EventTerminate, "2026-11-03", "9")}, "2026-11-30",
			[]string{"2026-11-01 2026-11-03 2"}},
		{"no events", nil, "2026-11-30", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := append([]Event(nil), c.events...)
			segs, err := Timeline(c.events, calendar.MustDate(c.horizon))
			require.NoError(t, err)
			var got []string
			for _, s := range segs {
				got = append(got, segString(s))
				assert.Equal(t, OrderID("WO-1"), s.Order)
			}
			assert.Equal(t, c.want, got)
			assert.Equal(t, in, c.events, "events are not modified")
		})
	}
}

func TestTimelineSegmentDays(t *testing.T) {
	segs, err := Timeline([]Event{ev(EventOpen, "2028-02-01", "1"), ev(EventChange, "2028-02-29", "2"), ev(EventTerminate, "2028-03-31", "")}, calendar.MustDate("2028-12-31"))
	require.NoError(t, err)
	require.Len(t, segs, 2)
	assert.Equal(t, 28, segs[0].Days())
	assert.Equal(t, 32, segs[1].Days())
}

func TestTimelineErrors(t *testing.T) {
	other := ev(EventChange, "2026-11-12", "3")
	other.Order = "WO-2"
	cases := []struct {
		name   string
		events []Event
		want   string
	}{
		{"change before open", []Event{ev(EventChange, "2026-11-10", "2")}, "order WO-1: first event is change on 2026-11-10, not open"},
		{"terminate first", []Event{ev(EventTerminate, "2026-11-10", "")}, "first event is terminate"},
		{"event after terminate", []Event{ev(EventOpen, "2026-11-01", "2"), ev(EventTerminate, "2026-11-10", ""), ev(EventChange, "2026-11-12", "3")}, "change on 2026-11-12 after its terminate on 2026-11-10"},
		{"backward date", []Event{ev(EventOpen, "2026-11-01", "2"), ev(EventChange, "2026-11-10", "3"), ev(EventChange, "2026-11-05", "4")}, "change on 2026-11-05 goes back before 2026-11-10"},
		{"opened twice", []Event{ev(EventOpen, "2026-11-01", "2"), ev(EventOpen, "2026-11-03", "2")}, "opened again on 2026-11-03"},
		{"another order's event", []Event{ev(EventOpen, "2026-11-01", "2"), other}, "timeline given events of order WO-2 too"},
		{"unknown kind", []Event{ev(EventOpen, "2026-11-01", "2"), ev("suspend", "2026-11-03", "")}, `unknown event "suspend"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Timeline(c.events, calendar.MustDate("2026-11-30"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// randomOrder makes a valid event sequence: an open, some changes (several may share a
// day, including the open day), and maybe a terminate, over about two years including a
// leap February.
func randomOrder(r *rand.Rand, id OrderID) []Event {
	day := calendar.MustDate("2027-11-01").AddDays(r.Intn(200))
	mk := func(k EventKind, d calendar.Date) Event {
		return Event{Order: id, Kind: k, Effective: d, Config: Config{Item: "C01", Quantity: decimal.NewFromInt(int64(1 + r.Intn(64)))}}
	}
	es := []Event{mk(EventOpen, day)}
	for n := r.Intn(6); n > 0; n-- {
		switch r.Intn(3) {
		case 0: // same day
		case 1:
			day = day.AddDays(1 + r.Intn(3))
		default:
			day = day.AddDays(r.Intn(120))
		}
		es = append(es, mk(EventChange, day))
	}
	if r.Intn(3) > 0 {
		es = append(es, mk(EventTerminate, day.AddDays(r.Intn(90))))
	}
	return es
}

// TestTimelineProperty: on generated orders, segments never overlap, are in order, and
// cover exactly the in-service days, each day with the configuration of the last event
// dated on or before it.
func TestTimelineProperty(t *testing.T) {
	r := rand.New(rand.NewSource(20261127))
	for i := 0; i < 2000; i++ {
		id := OrderID(fmt.Sprintf("WO-%d", i))
		es := randomOrder(r, id)
		horizon := calendar.MustDate("2027-12-01").AddDays(r.Intn(400))
		segs, err := Timeline(es, horizon)
		require.NoError(t, err, "order %d", i)

		// the expected configuration of every in-service day
		first := es[0].Effective
		last := horizon
		if e := es[len(es)-1]; e.Kind == EventTerminate {
			last = calendar.MinDate(last, e.Effective)
		}
		want := map[calendar.Date]decimal.Decimal{}
		for d := first; !d.After(last); d = d.AddDays(1) {
			for _, e := range es {
				if e.Kind != EventTerminate && !e.Effective.After(d) {
					want[d] = e.Quantity
				}
			}
		}
		got := map[calendar.Date]decimal.Decimal{}
		for j, s := range segs {
			require.False(t, s.To.Before(s.From), "order %d segment %d is empty: %s", i, j, segString(s))
			if j > 0 {
				require.Equal(t, segs[j-1].To.AddDays(1), s.From, "order %d: segment %d does not follow %d (no overlap, no gap)", i, j, j-1)
			}
			for d := s.From; !d.After(s.To); d = d.AddDays(1) {
				_, dup := got[d]
				require.False(t, dup, "order %d: day %s in two segments", i, d)
				got[d] = s.Quantity
			}
		}
		require.Equal(t, len(want), len(got), "order %d: days covered: got %d, want %d", i, len(got), len(want))
		for d, q := range want {
			g, ok := got[d]
			require.True(t, ok, "order %d: in-service day %s not covered", i, d)
			require.True(t, q.Equal(g), "order %d day %s: got quantity %s, want %s", i, d, g, q)
		}
	}
}
