package idle_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/document/pdf"
	"cloudbill/document/sheet"
	"cloudbill/idle"
	"cloudbill/internal/calendar"
)

// TestReminderFilesByteIdentical: the reminders written as one batch (the font cut once
// for all of them) are, byte for byte, what typesetting them one after another writes
// (each PDF with a face cut for its own text), whatever the number of workers; and nothing
// else is written.
func TestReminderFilesByteIdentical(t *testing.T) {
	font, err := pdf.LoadFont("")
	if err != nil {
		t.Skipf("no CJK font (make deps): %v", err)
	}
	d := decimal.RequireFromString
	names := []string{"区财政局", "国库支付中心", "区教育局", "区卫生健康委员会", "区交通运输局", "区民政局", "区审计局", "区统计局"}
	var rs []idle.Reminder
	for i, name := range names {
		date := calendar.MustDate("2026-11-30")
		if i%3 == 2 {
			date = calendar.MustDate("2026-12-31")
		}
		dep := catalog.Department{ID: catalog.DepartmentID(fmt.Sprintf("D%02d", i+1)), Name: name}
		kind := []idle.Kind{idle.KindVCPU, idle.KindMemory}[i%2]
		id := idle.CaseID(fmt.Sprintf("%s-%s-%s", date, dep.ID, kind))
		c := idle.Case{ID: id, Department: dep.ID, Kind: kind, Reminder: date, Deadline: date.AddDays(30), Ratio: d("0.25"),
			IdleRatio: d("0.75"), Allocated: d("64"), Target: d("22"), Saving: d(fmt.Sprintf("%d.50", 600+i)),
			Orders: []idle.CaseOrder{{Order: catalog.OrderID(fmt.Sprintf("O%d", i)), Resource: catalog.ResourceID(fmt.Sprintf("ecs-%d", i)),
				Item: "C02", Zone: "internet", Allocated: d("64"), Recommended: d("22"), Saving: d(fmt.Sprintf("%d.50", 600+i))}},
			State: idle.StateOpen, StateOn: date}
		r := idle.Reminder{Department: dep, Date: date, Cases: []idle.Case{c}, Evidence: map[idle.CaseID]idle.Evidence{}}
		if i%2 == 1 {
			r.Parent = catalog.Department{ID: "D01", Name: names[0]}
		}
		rs = append(rs, r)
	}

	// one after another, as the command did before the pool
	want := map[string][]byte{}
	for _, r := range rs {
		b, err := pdf.Render(font, r.Doc(r.Date.Start()))
		require.NoError(t, err)
		base := filepath.Join(r.Date.String(), string(r.Department.ID))
		want[base+".pdf"] = b
		var c bytes.Buffer
		require.NoError(t, idle.WriteReminderCSV(&c, r))
		want[base+".csv"] = c.Bytes()
	}
	for _, workers := range []int{1, 3, 0} {
		dir := t.TempDir()
		require.NoError(t, idle.WriteReminderFiles(context.Background(), rs, dir, withWorkers{font, workers}))
		got := map[string][]byte{}
		require.NoError(t, filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			got[rel] = b
			return err
		}))
		require.Len(t, got, len(want), "workers %d", workers)
		for name, b := range want {
			assert.True(t, bytes.Equal(b, got[name]), "workers %d: %s differs", workers, name)
		}
	}

	// a cancelled context stops the batch with its error
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, idle.WriteReminderFiles(ctx, rs, t.TempDir(), withWorkers{font, 2}), context.Canceled)
}

// withWorkers is the font typesetting a batch on n goroutines (≤ 0: GOMAXPROCS).
type withWorkers struct {
	*pdf.Font
	n int
}

func (w withWorkers) Typeset(ctx context.Context, n int, doc func(i int) sheet.Doc, emit func(i int, pdf []byte) error) error {
	return pdf.Typesetter{Font: w.Font, Workers: w.n}.Typeset(ctx, n, doc, emit)
}
