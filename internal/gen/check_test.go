package gen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
)

// TestCheckCatches: Check and CheckSamples find what is wrong in a damaged dataset, so
// that their silence on generated data means something.
func TestCheckCatches(t *testing.T) {
	cases := []struct {
		name  string
		file  string // relative to the dataset
		edit  func(t *testing.T, s string) string
		want  string
		check func(ds *Dataset) error
	}{
		{"item not offered in zone", "orders.csv", func(t *testing.T, s string) string {
			return replaceOnce(t, s, ",internet,N04,", ",extranet,N04,")
		}, "not offered in zone extranet", (*Dataset).Check},
		{"dangling department", "departments.csv", func(t *testing.T, s string) string {
			return dropLine(t, s, "D004,")
		}, "department D004 does not exist", (*Dataset).Check},
		{"project of another department", "projects.csv", func(t *testing.T, s string) string {
			return replaceOnce(t, s, ",D002,2026,", ",D003,2026,")
		}, "belongs to D003, neither the order's department", (*Dataset).Check},
		{"change before open", "orders.csv", func(t *testing.T, s string) string {
			return replaceOnce(t, s, ",open,", ",change,")
		}, "first event is change", (*Dataset).Check},
		{"event after terminate", "orders.csv", func(t *testing.T, s string) string {
			return s + "WO2026000010,change,2026-11-23,D001,P2026-0001,ctcc,extranet,N03,3,slb-ctcc-000010,,\n"
		}, "after its terminate", (*Dataset).Check},
		{"missing acceptance", "acceptance.csv", func(t *testing.T, s string) string {
			return dropLine(t, s, "inspur,")
		}, "2 vendors with a record, 3 vendors", (*Dataset).Check},
		{"metered order without samples", "samples/cmcc-2026-11-11.ndjson", func(t *testing.T, s string) string {
			return dropLines(s, `"metric":"net_out_gb"`)
		}, "no net_out_gb sample on 2026-11-11", checkSamples},
		{"sample outside service", "samples/ctcc-2026-11-21.csv", func(t *testing.T, s string) string {
			return strings.Replace(s, "\n", "\nslb-ctcc-000010,cpu_util,2026-11-23T00:00:00+08:00,1,ctcc\n", 1)
		}, "does not report cpu_util", checkSamples},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, ds := generate(t, Config{Scale: Small, Period: calendar.MustPeriod("2026-11"), Seed: 7, Samples: true})
			require.NoError(t, ds.Check())
			name := filepath.Join(ds.Dir, filepath.FromSlash(c.file))
			b, err := os.ReadFile(name)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(name, []byte(c.edit(t, string(b))), 0o644))
			ds, err = Load(ds.Dir)
			require.NoError(t, err)
			err = c.check(ds)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func checkSamples(ds *Dataset) error {
	_, err := ds.CheckSamples()
	return err
}

func replaceOnce(t *testing.T, s, old, new string) string {
	require.Contains(t, s, old)
	return strings.Replace(s, old, new, 1)
}

func dropLine(t *testing.T, s, prefix string) string {
	var out []string
	dropped := false
	for _, l := range strings.SplitAfter(s, "\n") {
		if !dropped && strings.HasPrefix(l, prefix) {
			dropped = true
			continue
		}
		out = append(out, l)
	}
	require.True(t, dropped, "no line starts with %q", prefix)
	return strings.Join(out, "")
}

func dropLines(s, substr string) string {
	var out []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}
