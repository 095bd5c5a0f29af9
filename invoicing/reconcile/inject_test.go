package reconcile_test

import (
	"bytes"
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/fixture/reconciletest"
	"cloudbill/internal/calendar"
	"cloudbill/invoicing/reconcile"
)

// TestInjectedDiscrepancies generates every vendor's invoice of a synthetic month with
// injected discrepancies, writes and reads it back as CSV, reconciles it, and checks that
// reconciliation finds exactly the injected ones, with the expected class and reason.
func TestInjectedDiscrepancies(t *testing.T) {
	p := calendar.MustPeriod("2026-11")
	for _, seed := range []int64{1, 2, 3, 42} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			lines := reconciletest.Month(reconciletest.Config{Period: p, Vendors: 3, Orders: 150, Seed: seed})
			kinds := map[reconcile.InjectionKind]int{}
			for _, v := range []catalog.VendorID{"V01", "V02", "V03"} {
				inv, inj := reconcile.GenerateInvoice(lines, v, p, seed)
				require.NotEmpty(t, inj)
				var buf bytes.Buffer
				require.NoError(t, reconcile.WriteInvoiceCSV(&buf, inv))
				read, err := reconcile.ReadInvoice("gen.csv", &buf, reconcile.Expect{Vendor: v, Period: p})
				require.NoError(t, err, "a generated invoice reads back")
				res, err := reconcile.Reconcile(read, reconcile.Params{Vendor: v, Period: p, Lines: lines})
				require.NoError(t, err)

				var got, want []string
				for _, r := range res.Differences() {
					got = append(got, fmt.Sprintf("%s/%s %s", r.Order, r.Item, r.Class))
				}
				for _, x := range inj {
					kinds[x.Kind]++
					want = append(want, fmt.Sprintf("%s/%s %s", x.Order, x.Item, x.Class))
					for _, r := range res.Rows {
						if r.Order == x.Order && r.Item == x.Item && r.Class == x.Class {
							assert.Contains(t, r.Reasons, x.Reason, "%s %s/%s: %v", x.Kind, x.Order, x.Item, r.Explanation)
						}
					}
				}
				sort.Strings(got)
				sort.Strings(want)
				assert.Equal(t, want, got, "vendor %s: differences found vs injected", v)
				assert.True(t, res.Ours.Equal(res.Gross.Sub(res.Unfunded)), "ours %s = gross %s − unfunded %s", res.Ours, res.Gross, res.Unfunded)
				assert.True(t, res.Difference.Equal(res.Claimed.Sub(res.Ours)))
			}
			for _, k := range []reconcile.InjectionKind{reconcile.InjectTrialDays, reconcile.InjectQuantity, reconcile.InjectUnitPrice,
				reconcile.InjectExtraClaim, reconcile.InjectOtherVendor, reconcile.InjectMissing, reconcile.InjectDuplicate, reconcile.InjectUnfunded} {
				assert.Equal(t, 3, kinds[k], "injection %s in each vendor's invoice", k)
			}
		})
	}
}

func TestGenerateInvoiceIsDeterministic(t *testing.T) {
	p := calendar.MustPeriod("2026-11")
	lines := reconciletest.Month(reconciletest.Config{Period: p, Vendors: 2, Orders: 80, Seed: 5})
	write := func(seed int64) string {
		inv, inj := reconcile.GenerateInvoice(lines, "V01", p, seed)
		var buf bytes.Buffer
		require.NoError(t, reconcile.WriteInvoiceCSV(&buf, inv))
		require.NoError(t, reconcile.WriteInjectionsCSV(&buf, "V01", p, inj))
		return buf.String()
	}
	assert.Equal(t, write(9), write(9), "same lines and seed, same invoice")
	assert.NotEqual(t, write(9), write(10), "another seed, other discrepancies")
}

func TestGenerateInvoiceWithoutDiscrepancyRoom(t *testing.T) {
	// a vendor with one full-month line: only the kinds that fit are injected
	p := calendar.MustPeriod("2026-11")
	l := reconciletest.Month(reconciletest.Config{Period: p, Vendors: 1, Orders: 1, Seed: 1})
	inv, inj := reconcile.GenerateInvoice(l, "V01", p, 1)
	res, err := reconcile.Reconcile(inv, reconcile.Params{Vendor: "V01", Period: p, Lines: l})
	require.NoError(t, err)
	assert.Len(t, res.Differences(), len(inj), "every injection found, nothing else")
	for _, x := range inj {
		assert.NotEqual(t, reconcile.InjectUnfunded, x.Kind, "no unfunded line to claim")
		assert.NotEqual(t, reconcile.InjectOtherVendor, x.Kind, "no other vendor")
	}
}
