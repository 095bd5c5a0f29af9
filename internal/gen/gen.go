// Package gen writes realistic, consistent datasets of a district government cloud for a
// month: the service catalog with a mid-month price version, adaptations, departments
// with their subordinate units, the year's project list, vendors, the work-order events
// of the multi-cloud management system, acceptance records, and the vendors' usage
// samples, all in the file formats of FORMATS.md.
//
// Output is a function of the Config alone (scale, period, seed, interval): the same
// Config writes the same bytes, whatever the machine or the number of cores. Samples are
// written streaming, several files at once, and never held in memory.
//
// What every dataset holds, so that tests and the demo can rely on it:
//   - catalog-<Jan 1 of the year>.csv (the sample catalog) and catalog-<16th of the
//     period>.csv, in which C01 gets cheaper and X02 dearer; zone availability is the same
//     in both, and no order uses an item in a zone where its price is empty;
//   - orders opened in earlier months of the year (billing the full month), opened in the
//     period, changed mid-month (quantity up, down, disk type or project), terminated in
//     the period, opened and terminated in the period, one opened and terminated the same
//     day, some changed or terminated in earlier months, orders on both zones, orders
//     naming a vendor resource type instead of an item (adapted), orders of renovation
//     projects with portion stock/new, orders of projects not on the approved list;
//     every event date lies between January 1 of the period's year and the period's end;
//   - one acceptance record per vendor for the period (a dataset never leaves a vendor
//     pending): passed, deferred, failed, a pass whose security assessment expired before
//     the month end, and scores and availabilities over the deduction tiers;
//   - with Samples, usage samples for every resource for the days it is in service in the
//     period: cpu_util and mem_util (percent) for compute and database items, disk_used_gb
//     for disks, net_out_gb (traffic per interval) for N04, objstore_gb (a growing level)
//     for S03.
//     The samples of one vendor are in files of about ten days each; the second vendor's
//     files are NDJSON, the others CSV.
package gen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"cloudbill/internal/calendar"
)

// Scale is the size of a dataset.
type Scale string

const (
	Small    Scale = "small"    // ≈ 5 departments, 30 orders, a few thousand samples: for tests
	District Scale = "district" // ≈ 60 departments, 2,000 orders, about 6 million samples
	City     Scale = "city"     // ≈ 1,000 departments, 50,000 orders, about 100 million samples
)

// Scales lists the scales, smallest first.
var Scales = []Scale{Small, District, City}

// scaleParams are the sizes behind a Scale.
type scaleParams struct {
	departments int
	orders      int
	vendors     int
	areaSize    int           // departments per area (district, county) before the next area starts
	interval    time.Duration // default sample interval
	chunkDays   int           // days per sample file
}

func (s Scale) params() (scaleParams, bool) {
	switch s {
	case Small:
		return scaleParams{departments: 5, orders: 30, vendors: 3, areaSize: 60, interval: 4 * time.Hour, chunkDays: 10}, true
	case District:
		return scaleParams{departments: 60, orders: 2000, vendors: 4, areaSize: 60, interval: 15 * time.Minute, chunkDays: 10}, true
	case City:
		return scaleParams{departments: 1000, orders: 50000, vendors: 5, areaSize: 90, interval: 24 * time.Minute, chunkDays: 5}, true
	}
	return scaleParams{}, false
}

// DefaultInterval is the sample interval of a scale when Config.Interval is 0.
func (s Scale) DefaultInterval() time.Duration {
	p, _ := s.params()
	return p.interval
}

// Config says what to generate.
type Config struct {
	Out      string          // directory to write into (created)
	Scale    Scale           // small, district or city
	Period   calendar.Period // the month the dataset is for
	Seed     int64
	Samples  bool          // write usage samples too (false: master data, orders, acceptance only)
	Interval time.Duration // sample interval; 0 = the scale's default; 1 minute to 24 hours
	Progress io.Writer     // nil: quiet
}

// Interval bounds.
const (
	MinInterval = time.Minute
	MaxInterval = 24 * time.Hour
)

// Validate reports what is wrong with c, every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Out == "" {
		errs = append(errs, errors.New("no output directory"))
	}
	if _, ok := c.Scale.params(); !ok {
		errs = append(errs, fmt.Errorf("scale %q is not one of small, district, city", c.Scale))
	}
	if c.Period.Month < time.January || c.Period.Month > time.December || c.Period.Year < 2000 || c.Period.Year > 2999 {
		errs = append(errs, fmt.Errorf("period %s is not a month between 2000-01 and 2999-12", c.Period))
	}
	if c.Interval != 0 && (c.Interval < MinInterval || c.Interval > MaxInterval) {
		errs = append(errs, fmt.Errorf("sample interval %s is not between %s and %s", c.Interval, MinInterval, MaxInterval))
	}
	return errors.Join(errs...)
}

func (c Config) interval() time.Duration {
	if c.Interval != 0 {
		return c.Interval
	}
	return c.Scale.DefaultInterval()
}

// CatalogFile is one catalog version: a file and the date it takes effect.
type CatalogFile struct {
	File      string        `json:"file"`
	Effective calendar.Date `json:"effective"`
}

// Counts are the sizes of a dataset.
type Counts struct {
	Departments int `json:"departments"`
	Projects    int `json:"projects"`
	Vendors     int `json:"vendors"`
	Orders      int `json:"orders"`
	Events      int `json:"events"`    // work-order event rows
	Resources   int `json:"resources"` // resources that have usage samples in the period (whether or not written)
	Samples     int `json:"samples"`   // samples written (0 without Config.Samples)
}

// Manifest lists what a dataset holds; file names are relative to its directory.
// Generate writes it as manifest.json beside the files.
type Manifest struct {
	Period      calendar.Period `json:"period"`
	Scale       Scale           `json:"scale"`
	Seed        int64           `json:"seed"`
	Interval    string          `json:"interval"`            // sample interval, e.g. "15m0s"
	Catalogs    []CatalogFile   `json:"catalogs"`            // oldest first
	Adaptations string          `json:"adaptations"`         // catalog adaptations
	Departments string          `json:"departments"`         //
	Projects    string          `json:"projects"`            //
	Vendors     string          `json:"vendors"`             //
	Orders      string          `json:"orders"`              // work-order events
	Acceptance  string          `json:"acceptance"`          // acceptance records of the period
	Samples     []string        `json:"samples"`             // usage samples, CSV (.csv) and NDJSON (.ndjson)
	Counts      Counts          `json:"counts"`              //
	Generator   string          `json:"generator,omitempty"` // what wrote it
}

// ManifestFile is the manifest's name inside a dataset directory.
const ManifestFile = "manifest.json"

// File names inside a dataset directory.
const (
	adaptationsFile = "adaptations.csv"
	departmentsFile = "departments.csv"
	projectsFile    = "projects.csv"
	vendorsFile     = "vendors.csv"
	ordersFile      = "orders.csv"
	acceptanceFile  = "acceptance.csv"
	samplesDir      = "samples"
)

// Generate writes the dataset that cfg describes into cfg.Out (created if missing; files
// of the same names are overwritten, and sample files left in cfg.Out/samples by an
// earlier run are removed) and returns its manifest. It stops early with the context's
// error when ctx is done; manifest.json is written last, so a dataset without one is
// incomplete.
func Generate(ctx context.Context, cfg Config) (Manifest, error) {
	if err := cfg.Validate(); err != nil {
		return Manifest{}, fmt.Errorf("generator config: %w", err)
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return Manifest{}, fmt.Errorf("create output directory: %w", err)
	}
	started := time.Now()
	w, err := build(cfg)
	if err != nil {
		return Manifest{}, err
	}
	m := Manifest{
		Period: cfg.Period, Scale: cfg.Scale, Seed: cfg.Seed, Interval: cfg.interval().String(),
		Adaptations: adaptationsFile, Departments: departmentsFile, Projects: projectsFile,
		Vendors: vendorsFile, Orders: ordersFile, Acceptance: acceptanceFile,
		Generator: "cloudbill gen",
	}
	if m.Catalogs, err = w.writeCatalogs(cfg.Out); err != nil {
		return Manifest{}, err
	}
	if err := w.writeMaster(cfg.Out); err != nil {
		return Manifest{}, err
	}
	plan := w.samplePlan()
	m.Counts = Counts{
		Departments: len(w.depts), Projects: len(w.projects), Vendors: len(w.vendors),
		Orders: len(w.orders), Events: w.eventCount(), Resources: plan.resources,
	}
	progressf(cfg.Progress, "gen: %s %s seed %d: %d departments, %d projects, %d vendors, %d orders, %d events written (%.1fs)",
		cfg.Scale, cfg.Period, cfg.Seed, m.Counts.Departments, m.Counts.Projects, m.Counts.Vendors, m.Counts.Orders, m.Counts.Events,
		time.Since(started).Seconds())
	m.Samples = []string{}
	if err := clearSamples(cfg.Out); err != nil {
		return Manifest{}, err
	}
	if cfg.Samples {
		files, n, err := w.writeSamples(ctx, cfg, plan)
		if err != nil {
			return Manifest{}, err
		}
		m.Samples, m.Counts.Samples = files, n
	}
	if err := writeManifest(cfg.Out, m); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

func writeManifest(dir string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (Manifest, error) {
	name := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(name)
	if err != nil {
		return Manifest{}, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("read manifest %s: %w", name, err)
	}
	return m, nil
}

func progressf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}
