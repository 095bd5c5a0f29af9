package gen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

func generate(t *testing.T, cfg Config) (Manifest, *Dataset) {
	t.Helper()
	if cfg.Out == "" {
		cfg.Out = t.TempDir()
	}
	m, err := Generate(context.Background(), cfg)
	require.NoError(t, err)
	ds, err := Load(cfg.Out)
	require.NoError(t, err)
	return m, ds
}

func TestValidate(t *testing.T) {
	ok := Config{Out: "x", Scale: Small, Period: calendar.MustPeriod("2026-11"), Seed: 1}
	cases := []struct {
		name string
		edit func(*Config)
		want string // "" valid
	}{
		{"valid", func(*Config) {}, ""},
		{"valid interval", func(c *Config) { c.Interval = 5 * time.Minute }, ""},
		{"no out", func(c *Config) { c.Out = "" }, "no output directory"},
		{"bad scale", func(c *Config) { c.Scale = "town" }, `scale "town" is not one of small, district, city`},
		{"zero period", func(c *Config) { c.Period = calendar.Period{} }, "period 0000-00 is not a month"},
		{"interval too short", func(c *Config) { c.Interval = time.Second }, "sample interval 1s is not between 1m0s and 24h0m0s"},
		{"interval too long", func(c *Config) { c.Interval = 48 * time.Hour }, "sample interval 48h0m0s is not between"},
		{"several at once", func(c *Config) { c.Out, c.Scale = "", "" }, "no output directory\nscale \"\" is not one of"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			c.edit(&cfg)
			err := cfg.Validate()
			if c.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	_, err := Generate(context.Background(), Config{Scale: Small})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "generator config: no output directory")
}

// TestSmall generates a small month with samples and checks it whole: consistency, the
// cases billing must meet, and the samples.
func TestSmall(t *testing.T) {
	period := calendar.MustPeriod("2026-11")
	m, ds := generate(t, Config{Scale: Small, Period: period, Seed: 7, Samples: true})
	require.NoError(t, ds.Check())
	st, err := ds.CheckSamples()
	require.NoError(t, err)

	read, err := ReadManifest(ds.Dir)
	require.NoError(t, err)
	assert.Equal(t, m, read, "manifest.json differs from what Generate returned")

	c := m.Counts
	assert.Equal(t, 5, c.Departments)
	assert.Equal(t, 30, c.Orders)
	assert.Equal(t, 3, c.Vendors)
	assert.Equal(t, len(ds.Org.Projects), c.Projects)
	assert.Equal(t, len(ds.Orders), c.Orders)
	assert.Equal(t, st.Resources, c.Resources)
	assert.Equal(t, st.Samples, c.Samples)
	assert.True(t, c.Samples >= 2000 && c.Samples <= 20000, "small: %d samples, want a few thousand", c.Samples)
	for _, metric := range metricNames {
		assert.Positive(t, st.ByMetric[metric], "no %s samples", metric)
	}
	assert.Positive(t, st.NDJSON, "no NDJSON samples")
	assert.Less(t, st.NDJSON, st.Samples, "no CSV samples")

	// The cases billing must handle are all there.
	got := coverage(t, ds)
	for _, want := range []string{
		"zone internet", "zone extranet", "adapted", "opened before", "opened in period",
		"terminated in period", "opened and terminated in period", "same day",
		"changed in period: quantity up", "changed in period: quantity down", "changed in period: config",
		"changed before period", "terminated before period", "portion stock", "portion new",
		"unapproved project", "metered S03", "metered N04", "subordinate unit", "project of parent",
		"accepted passed", "accepted deferred", "accepted failed", "security expired",
	} {
		assert.True(t, got[want], "small dataset lacks: %s", want)
	}
}

// coverage names the cases a dataset holds.
func coverage(t *testing.T, ds *Dataset) map[string]bool {
	got := map[string]bool{}
	p := ds.Manifest.Period
	v0 := ds.Catalog.Versions[0]
	for _, id := range ds.Orders {
		evs := ds.Events[id]
		open := evs[0]
		got["zone "+string(open.Zone)] = true
		if open.ResourceType != "" {
			got["adapted"] = true
		}
		if open.Effective.Before(p.First()) {
			got["opened before"] = true
		} else {
			got["opened in period"] = true
		}
		dep := ds.Org.Departments[open.Department]
		if dep.Parent != "" {
			got["subordinate unit"] = true
			if ds.Org.Projects[catalog.ProjectKey{ID: open.Project, Year: p.Year}].Department == dep.Parent {
				got["project of parent"] = true
			}
		}
		for _, e := range evs {
			if e.Portion != "" {
				got["portion "+string(e.Portion)] = true
			}
			if !ds.Org.Projects[catalog.ProjectKey{ID: e.Project, Year: p.Year}].Approved {
				got["unapproved project"] = true
			}
			if it := v0.Items[e.Item]; it.Billing == catalog.Metered {
				got["metered "+string(e.Item)] = true
			}
		}
		for i, e := range evs[1:] {
			prev := evs[i]
			in := p.Contains(e.Effective)
			switch {
			case e.Kind == catalog.EventTerminate && e.Effective == open.Effective:
				got["same day"] = true
			case e.Kind == catalog.EventTerminate && in && p.Contains(open.Effective):
				got["opened and terminated in period"] = true
			case e.Kind == catalog.EventTerminate && in:
				got["terminated in period"] = true
			case e.Kind == catalog.EventTerminate:
				got["terminated before period"] = true
			case e.Kind == catalog.EventChange && !in:
				got["changed before period"] = true
			case e.Kind == catalog.EventChange && e.Quantity.GreaterThan(prev.Quantity):
				got["changed in period: quantity up"] = true
			case e.Kind == catalog.EventChange && e.Quantity.LessThan(prev.Quantity):
				got["changed in period: quantity down"] = true
			case e.Kind == catalog.EventChange:
				got["changed in period: config"] = true
			}
		}
	}
	for _, a := range ds.Acceptance {
		got["accepted "+string(a.Result)] = true
		if a.SecurityValidUntil != nil && a.SecurityValidUntil.Before(p.Last()) {
			got["security expired"] = true
		}
	}
	return got
}

// TestPeriods generates small months at year and leap-year boundaries: a January has no
// earlier months of the year, so every order opens in the period.
func TestPeriods(t *testing.T) {
	for _, period := range []string{"2027-01", "2028-02", "2026-12"} {
		t.Run(period, func(t *testing.T) {
			p := calendar.MustPeriod(period)
			m, ds := generate(t, Config{Scale: Small, Period: p, Seed: 3, Samples: true, Interval: 6 * time.Hour})
			require.NoError(t, ds.Check())
			st, err := ds.CheckSamples()
			require.NoError(t, err)
			assert.Positive(t, st.Samples)
			assert.Equal(t, calendar.Date{Year: p.Year, Month: time.January, Day: 1}, m.Catalogs[0].Effective)
			assert.Equal(t, calendar.Date{Year: p.Year, Month: p.Month, Day: 16}, m.Catalogs[1].Effective)
			got := coverage(t, ds)
			for _, want := range []string{"same day", "opened and terminated in period", "changed in period: quantity up", "metered N04", "metered S03"} {
				assert.True(t, got[want], "lacks: %s", want)
			}
		})
	}
}

// TestDistrictMasterData checks a district's master data and orders (no samples: the
// figure of the samples is computed from the plan).
func TestDistrictMasterData(t *testing.T) {
	m, ds := generate(t, Config{Scale: District, Period: calendar.MustPeriod("2026-11"), Seed: 1})
	require.NoError(t, ds.Check())
	c := m.Counts
	assert.Equal(t, 60, c.Departments)
	assert.Equal(t, 2000, c.Orders)
	assert.Equal(t, 4, c.Vendors)
	assert.InDelta(t, 60, c.Projects, 30)
	assert.Equal(t, 0, c.Samples)
	assert.Empty(t, m.Samples)
	assert.Greater(t, c.Events, c.Orders)
	unapproved, subs := 0, 0
	for _, p := range ds.Org.Projects {
		if !p.Approved {
			unapproved++
		}
	}
	for _, d := range ds.Org.Departments {
		if d.Parent != "" {
			subs++
		}
	}
	assert.InDelta(t, 0.08, float64(unapproved)/float64(c.Projects), 0.07, "unapproved projects %d of %d", unapproved, c.Projects)
	assert.InDelta(t, 36, subs, 8, "subordinate units")
	names := map[string]bool{}
	for _, d := range ds.Org.Departments {
		assert.False(t, names[d.Name], "department name %s twice", d.Name)
		names[d.Name] = true
	}
	// Every vendor, zone and lifecycle is well represented.
	perVendor := map[catalog.VendorID]int{}
	for _, id := range ds.Orders {
		perVendor[ds.Events[id][0].Vendor]++
	}
	for v := range ds.Org.Vendors {
		assert.Greater(t, perVendor[v], 50, "vendor %s has few orders", v)
	}
}

// TestPlannedSizes holds the promised sample volumes without writing them.
func TestPlannedSizes(t *testing.T) {
	cases := []struct {
		scale    Scale
		lo, hi   int // samples
		minFiles int
	}{
		{Small, 2000, 20000, 3},
		{District, 5_000_000, 7_500_000, 9},
		{City, 80_000_000, 130_000_000, 25},
	}
	for _, c := range cases {
		t.Run(string(c.scale), func(t *testing.T) {
			w, err := build(Config{Out: "unused", Scale: c.scale, Period: calendar.MustPeriod("2026-11"), Seed: 1})
			require.NoError(t, err)
			plan := w.samplePlan()
			t.Logf("%s: %d resources, %d samples planned in %d files", c.scale, plan.resources, plan.total, len(plan.files))
			assert.True(t, plan.total >= c.lo && plan.total <= c.hi, "%s: %d samples planned, want %d–%d", c.scale, plan.total, c.lo, c.hi)
			assert.GreaterOrEqual(t, len(plan.files), c.minFiles)
			sp, _ := c.scale.params()
			assert.Len(t, w.orders, sp.orders)
			assert.Len(t, w.depts, sp.departments)
		})
	}
}

// TestDeterministic: the same config writes the same bytes; another seed other bytes.
func TestDeterministic(t *testing.T) {
	cfg := Config{Scale: Small, Period: calendar.MustPeriod("2026-11"), Seed: 42, Samples: true, Interval: time.Hour}
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		cfg.Out = dir
		_, err := Generate(context.Background(), cfg)
		require.NoError(t, err)
	}
	cfg.Out, cfg.Seed = c, 43
	_, err := Generate(context.Background(), cfg)
	require.NoError(t, err)
	// One core: the sample files are written one after the other, the bytes are the same.
	d := t.TempDir()
	cfg.Out, cfg.Seed = d, 42
	procs := runtime.GOMAXPROCS(1)
	_, err = Generate(context.Background(), cfg)
	runtime.GOMAXPROCS(procs)
	require.NoError(t, err)
	ha, hb, hc := hashTree(t, a), hashTree(t, b), hashTree(t, c)
	require.NotEmpty(t, ha)
	assert.Equal(t, ha, hb, "same seed, different output")
	assert.Equal(t, ha, hashTree(t, d), "same seed on one core, different output")
	assert.NotEqual(t, ha["orders.csv"], hc["orders.csv"], "another seed, same orders")
	assert.NotEqual(t, ha["samples/ctcc-2026-11-01.csv"], hc["samples/ctcc-2026-11-01.csv"], "another seed, same samples")
	assert.Equal(t, ha["catalog-2026-01-01.csv"], hc["catalog-2026-01-01.csv"], "the catalog does not depend on the seed")
}

func hashTree(t *testing.T, dir string) map[string][32]byte {
	out := map[string][32]byte{}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = sha256.Sum256(b)
		return nil
	}))
	return out
}

// TestHeaders: every file starts with the exact column names of FORMATS.md.
func TestHeaders(t *testing.T) {
	out := t.TempDir()
	m, _ := generate(t, Config{Out: out, Scale: Small, Period: calendar.MustPeriod("2026-11"), Seed: 1, Samples: true})
	formats := map[string]string{ // FORMATS.md, in our column order
		"catalog":     "code,name,category,unit,billing,price_internet,price_extranet,meter_metric,meter_agg,mode",
		"adaptations": "resource_type,item_code,note",
		"departments": "id,name,parent_id",
		"projects":    "id,name,department_id,year,category,approved",
		"vendors":     "id,name",
		"orders":      "order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity,resource_id,resource_type,portion",
		"acceptance":  "vendor_id,period,result,score,availability,security_valid_until",
		"samples":     "resource_id,metric,ts,value,source",
	}
	files := map[string][]string{
		"adaptations": {m.Adaptations}, "departments": {m.Departments}, "projects": {m.Projects},
		"vendors": {m.Vendors}, "orders": {m.Orders}, "acceptance": {m.Acceptance},
	}
	for _, cf := range m.Catalogs {
		files["catalog"] = append(files["catalog"], cf.File)
	}
	for _, s := range m.Samples {
		if strings.HasSuffix(s, ".csv") {
			files["samples"] = append(files["samples"], s)
		}
	}
	for kind, names := range files {
		require.NotEmpty(t, names, kind)
		for _, name := range names {
			t.Run(name, func(t *testing.T) {
				f, err := os.Open(filepath.Join(out, name))
				require.NoError(t, err)
				defer f.Close()
				line, err := bufio.NewReader(f).ReadString('\n')
				require.NoError(t, err)
				assert.Equal(t, formats[kind]+"\n", line)
			})
		}
	}
}

// TestCatalogVersions: the mid-month version changes one price down and one up and
// nothing else; the base is the embedded sample catalog, byte for byte.
func TestCatalogVersions(t *testing.T) {
	m, ds := generate(t, Config{Scale: Small, Period: calendar.MustPeriod("2026-11"), Seed: 1})
	require.Len(t, ds.Catalog.Versions, 2)
	base, mid := ds.Catalog.Versions[0], ds.Catalog.Versions[1]
	b, err := os.ReadFile(filepath.Join(ds.Dir, m.Catalogs[0].File))
	require.NoError(t, err)
	assert.Equal(t, catalogCSV, b)
	if shared, err := os.ReadFile("../../../shared/data/catalog-sample.csv"); err == nil {
		assert.Equal(t, shared, catalogCSV, "internal/gen/catalog-sample.csv differs from ../shared/data/catalog-sample.csv")
	}
	var up, down []catalog.ItemCode
	require.Len(t, mid.Items, len(base.Items))
	for code, it := range base.Items {
		other := mid.Items[code]
		require.Len(t, other.Prices, len(it.Prices), "%s: zones changed", code)
		for z, p := range it.Prices {
			q, ok := other.Prices[z]
			require.True(t, ok, "%s no longer offered in %s", code, z)
			switch {
			case q.GreaterThan(p):
				up = append(up, code)
			case q.LessThan(p):
				down = append(down, code)
			}
		}
	}
	assert.Equal(t, []catalog.ItemCode{"X02", "X02"}, up)
	assert.Equal(t, []catalog.ItemCode{"C01", "C01"}, down)
	assert.True(t, mid.Items["C01"].Prices[catalog.ZoneInternet].Equal(decimal.RequireFromString("36")))
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Generate(ctx, Config{Out: t.TempDir(), Scale: Small, Period: calendar.MustPeriod("2026-11"), Seed: 1, Samples: true})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	_, err := Generate(context.Background(), Config{Out: t.TempDir(), Scale: Small, Period: calendar.MustPeriod("2026-11"), Seed: 1, Samples: true, Progress: &buf})
	require.NoError(t, err)
	assert.Contains(t, buf.String(), "gen: small 2026-11 seed 1: 5 departments")
	assert.Contains(t, buf.String(), "samples written in")
}
