package chstore_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/gen"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/metering"
	"cloudbill/rating"
	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

// ingestFiles parses sample files and stores them with versions from *next on (what the
// ingest path does).
func ingestFiles(t *testing.T, s *chstore.Store, dir string, files []string, next *uint64) {
	t.Helper()
	for _, name := range files {
		f, err := os.Open(filepath.Join(dir, name))
		require.NoError(t, err)
		head := make([]byte, 512)
		n, _ := io.ReadFull(f, head)
		_, err = f.Seek(0, io.SeekStart)
		require.NoError(t, err)
		p, err := metering.NewParser(f, metering.ParserConfig{Name: name, Format: metering.FormatOf(name, head[:n])})
		require.NoError(t, err)
		for {
			var b metering.Batch
			k, err := p.Next(&b, 50000, func(r metering.Reject) { t.Errorf("%s: rejected line %d", name, r.Line) })
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			if k == 0 {
				continue
			}
			b.Version = make([]uint64, b.Len())
			for i := range b.Version {
				*next++
				b.Version[i] = *next
			}
			require.NoError(t, s.InsertSamples(context.Background(), &b))
		}
		f.Close()
	}
}

// Properties on generated months (package gen, small scale, with samples), through the
// real imports, ingest and storage: the stored days of each line add up to its unrounded
// amount; a full month is price × quantity; department totals equal vendor settlements
// to the fen after deductions; re-rating unchanged inputs and ingesting the same samples
// again change nothing.
func TestRatingPropertiesOnGeneratedMonths(t *testing.T) {
	for _, seed := range []int64{1, 2} {
		p := calendar.MustPeriod([]string{"2026-11", "2028-02"}[seed-1])
		t.Run(p.String(), func(t *testing.T) {
			s := chtest.New(t)
			ctx := context.Background()
			dir := t.TempDir()
			m, err := gen.Generate(ctx, gen.Config{Out: dir, Scale: gen.Small, Period: p, Seed: seed, Samples: true})
			require.NoError(t, err)
			ds := catalog.Dataset{Dir: dir, Adaptations: m.Adaptations, Departments: m.Departments, Projects: m.Projects,
				Vendors: m.Vendors, Acceptance: m.Acceptance, Orders: []string{m.Orders}}
			for _, c := range m.Catalogs {
				ds.Catalogs = append(ds.Catalogs, catalog.VersionFile{File: c.File, Effective: c.Effective})
			}
			now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			_, err = catalog.ImportDataset(ctx, s, ds, func() time.Time { return now })
			require.NoError(t, err)
			var version uint64
			ingestFiles(t, s, dir, m.Samples, &version)

			r := newRater(t, s, &now)
			out, err := r.Rate(ctx, p)
			require.NoError(t, err)
			lines, err := s.RatedLines(ctx, p)
			require.NoError(t, err)
			require.Len(t, lines, len(out.Lines))
			kinds := map[rating.Kind]int{}
			for _, l := range lines {
				kinds[l.Kind]++
			}
			require.NotZero(t, kinds[rating.KindCharge])
			require.NotZero(t, kinds[rating.KindMetered], "the generated month has metered usage")

			// stored days add up to each line, exactly
			deps := map[catalog.DepartmentID]bool{}
			for _, l := range lines {
				deps[l.Department] = true
			}
			type lineKey struct {
				order catalog.OrderID
				item  catalog.ItemCode
				kind  rating.Kind
			}
			daySum := map[lineKey]decimal.Decimal{}
			for dep := range deps {
				days, err := s.DailyAmounts(ctx, p, dep)
				require.NoError(t, err)
				for _, d := range days {
					k := lineKey{d.Order, d.Item, d.Kind}
					daySum[k] = daySum[k].Add(d.Amount)
				}
			}
			lineSum := map[lineKey]decimal.Decimal{}
			for _, l := range lines {
				if l.Kind == rating.KindDeduction || l.Kind == rating.KindAdjustment {
					continue
				}
				k := lineKey{l.Order, l.Item, l.Kind}
				lineSum[k] = lineSum[k].Add(l.Unrounded)
				assert.True(t, l.Amount.Equal(money.Round(l.Unrounded)), "%s %s rounded once", l.Order, l.From)
				if l.Kind != rating.KindMetered && l.From == p.First() && l.To == p.Last() {
					assert.True(t, l.Amount.Equal(money.Round(l.UnitPrice.Mul(l.Quantity))), "full month %s: %s ≠ %s × %s", l.Order, l.Amount, l.UnitPrice, l.Quantity)
				}
			}
			require.Equal(t, len(lineSum), len(daySum))
			for k, want := range lineSum {
				assert.True(t, daySum[k].Equal(want), "%v: days %s, line %s", k, daySum[k], want)
			}

			// departments = vendors to the fen
			ded, err := s.VendorDeductions(ctx, p)
			require.NoError(t, err)
			deps2, net := decimal.Zero, decimal.Zero
			byVendor := map[catalog.VendorID]decimal.Decimal{}
			for _, l := range lines {
				deps2 = deps2.Add(l.Amount)
				byVendor[l.Vendor] = byVendor[l.Vendor].Add(l.Amount)
			}
			for _, d := range ded {
				net = net.Add(d.Net)
				assert.True(t, byVendor[d.Vendor].Equal(d.Net), "vendor %s: lines %s, net %s", d.Vendor, byVendor[d.Vendor], d.Net)
			}
			assert.True(t, deps2.Equal(net), "departments %s, vendors %s", deps2, net)

			// unchanged inputs: no-op; the same samples ingested again: no-op
			now = now.Add(time.Hour)
			again, err := r.Rate(ctx, p)
			require.NoError(t, err)
			assert.True(t, again.Unchanged)
			ingestFiles(t, s, dir, m.Samples, &version)
			again, err = r.Rate(ctx, p)
			require.NoError(t, err)
			assert.True(t, again.Unchanged, "samples ingested twice changed the month")
			assert.Equal(t, out.Run.ID, again.Run.ID)
		})
	}
}
