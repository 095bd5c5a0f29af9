package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/shopspring/decimal"

	usecase "cloudbill/app"
	"cloudbill/idle"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
)

// demoIdle is the demo's idle-resource step: the analysis of the month's last day (cases
// opened, analysis CSV written) and the reminders, through the same commands a user runs.
type demoIdle struct {
	over    int
	saving  decimal.Decimal
	cases   int
	dir     string
	example string // one reminder PDF
}

func (s *demoSteps) idle(ctx context.Context, p calendar.Period, interval, out string) (demoIdle, error) {
	var r demoIdle
	d := p.Last()
	iv, err := time.ParseDuration(interval)
	if err != nil || iv <= 0 {
		iv = 15 * time.Minute
	}
	r.dir = filepath.Join(out, "idle")
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return r, err
	}
	uc, err := s.a.useCases(ctx)
	if err != nil {
		return r, err
	}
	csvPath := filepath.Join(r.dir, "analysis-"+d.String()+".csv")
	err = s.do("cloudbill idle analyze --date "+d.String()+" --format csv", func() error {
		res, rec, err := uc.AnalyzeIdle(ctx, usecase.IdleAnalysis{Date: d, Interval: idle.Seconds(iv / time.Second)})
		if err != nil {
			return err
		}
		f, err := os.Create(csvPath)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := idle.WriteCSV(f, res.Analysis); err != nil {
			return err
		}
		r.over, r.saving, r.cases = res.DepartmentsOver(), res.Saving(), len(rec.Opened)
		return f.Close()
	})
	if err != nil {
		return r, err
	}
	err = s.cmd(ctx, "idle", "reminders", "--out", r.dir, "--date", d.String())
	if err != nil {
		return r, err
	}
	if pdfs, _ := filepath.Glob(filepath.Join(r.dir, d.String(), "*.pdf")); len(pdfs) > 0 {
		r.example = pdfs[0]
	}
	return r, nil
}

func (r demoIdle) summary(row func(k, v string)) {
	row("idle: departments over ratio", fmt.Sprint(r.over))
	row("idle: cases opened", fmt.Sprint(r.cases))
	row("idle: saving a month (CNY)", money.Grouped(r.saving))
}
