package schedule

import (
	"strings"
	"testing"
	"time"

	"cloudbill/internal/calendar"
)

// FuzzParseSpec: any text given as a schedule is either a schedule that fires or a clear
// error naming the spec; never a panic (robfig/cron panics on some inputs, e.g. "TZ=x").
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{DefaultRateSpec, DefaultCloseSpec, "@daily", "@every 1h", "TZ=Asia/Shanghai",
		"CRON_TZ=UTC 0 2 1 * *", "0 2 30 2 *", "*/0 * * * *", "1-0 * * * *", "0 0 ? * MON-FRI", "", "off", "59 23 31 12 7"} {
		f.Add(s)
	}
	from := time.Date(2026, 11, 27, 12, 0, 0, 0, calendar.Shanghai())
	f.Fuzz(func(t *testing.T, spec string) {
		sched, err := parseSpec(spec)
		if err != nil {
			if !strings.Contains(err.Error(), "cron spec") {
				t.Fatalf("error %q does not name the spec", err)
			}
			return
		}
		if sched == nil {
			if spec != Off {
				t.Fatalf("spec %q: no schedule and no error", spec)
			}
			return
		}
		if next := sched.Next(from); !next.After(from) {
			t.Fatalf("spec %q accepted but next run %v is not after %v", spec, next, from)
		}
	})
}
