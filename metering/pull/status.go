package pull

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"cloudbill/internal/calendar"
)

// StatusStore is what completeness is computed from; package chstore satisfies it.
type StatusStore interface {
	// Mappings returns the latest stored version of every mapping of every vendor.
	Mappings(ctx context.Context) ([]MappingRecord, error)
	WindowStates(ctx context.Context, vendor, metric string, from, to time.Time) (map[int64]Status, error)
}

// Range is a run of consecutive windows [From, To).
type Range struct {
	From, To time.Time
	Windows  int
}

func (r Range) String() string {
	return fmt.Sprintf("%s … %s (%d windows)", r.From.In(calendar.Shanghai()).Format("2006-01-02 15:04"), r.To.In(calendar.Shanghai()).Format("2006-01-02 15:04"), r.Windows)
}

// MappingStatus is the completeness of one mapping of one vendor in a month.
type MappingStatus struct {
	Vendor, Metric string
	Window         time.Duration
	// Expected windows are those of the month from the mapping's start that are due
	// (ended at least the lateness ago) at the time of the report.
	Expected int
	// Collected counts windows collected (Partial of them with series dropped).
	Collected, Partial int
	// Failed windows were tried and failed last; Missing = Expected − Collected
	// (failed ones and those never tried).
	Failed, Missing int
	MissingRanges   []Range
}

// Complete reports whether every expected window was collected.
func (s MappingStatus) Complete() bool { return s.Missing == 0 }

// Completeness computes, for every stored mapping (of vendor, or every vendor when
// empty), the windows of month p expected at now and what was collected.
func Completeness(ctx context.Context, st StatusStore, p calendar.Period, now time.Time, vendor string) ([]MappingStatus, error) {
	ms, err := st.Mappings(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].Vendor != ms[j].Vendor {
			return ms[i].Vendor < ms[j].Vendor
		}
		return ms[i].Metric < ms[j].Metric
	})
	var out []MappingStatus
	for _, m := range ms {
		if vendor != "" && m.Vendor != vendor {
			continue
		}
		from := p.Start()
		if m.Start.After(from) {
			from = AlignUp(m.Start, m.Window)
		}
		to := DueUntil(Mapping{Window: m.Window, Lateness: m.Lateness}, now)
		if p.End().Before(to) {
			to = p.End()
		}
		s := MappingStatus{Vendor: m.Vendor, Metric: m.Metric, Window: m.Window}
		if from.Before(to) {
			states, err := st.WindowStates(ctx, m.Vendor, m.Metric, from, to)
			if err != nil {
				return nil, err
			}
			var cur *Range
			for t := from; t.Before(to); t = t.Add(m.Window) {
				s.Expected++
				switch states[t.Unix()] {
				case Collected:
					s.Collected++
					cur = nil
					continue
				case Partial:
					s.Collected++
					s.Partial++
					cur = nil
					continue
				case Failed:
					s.Failed++
				}
				s.Missing++
				if cur == nil {
					s.MissingRanges = append(s.MissingRanges, Range{From: t})
					cur = &s.MissingRanges[len(s.MissingRanges)-1]
				}
				cur.To = t.Add(m.Window)
				cur.Windows++
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// Missing is the number of windows missing in sts, every mapping's: what refuses a close
// (app.MissingWindows) and what `collect status` and the portal's collection page total.
func Missing(sts []MappingStatus) int {
	n := 0
	for _, s := range sts {
		n += s.Missing
	}
	return n
}

// Incomplete lists, one line a mapping, what is missing in sts ("" when complete).
func Incomplete(sts []MappingStatus) []string {
	var out []string
	for _, s := range sts {
		if s.Complete() {
			continue
		}
		rs := make([]string, 0, 3)
		for i, r := range s.MissingRanges {
			if i == 3 {
				rs = append(rs, fmt.Sprintf("… %d ranges in all", len(s.MissingRanges)))
				break
			}
			rs = append(rs, r.String())
		}
		out = append(out, fmt.Sprintf("vendor %s, metric %s: %d of %d windows missing (%d failed): %s",
			s.Vendor, s.Metric, s.Missing, s.Expected, s.Failed, strings.Join(rs, ", ")))
	}
	return out
}
