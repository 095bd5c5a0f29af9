package portal_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestPortalDependencies holds the portal's place in the package graph: it is a driver
// over the use cases and the domain, so it does not compile in the concrete store
// (cloudbill/sql, assembled by cmd/cloudbill), the scheduler's cron library (it reads job
// runs as schedule/jobrun's records) or the PDF library (it serves PDFs that app and
// document/pdf typeset, through sheet.Typesetter). `go list -deps` is the compiler's own
// answer, test files excluded.
func TestPortalDependencies(t *testing.T) {
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "list", "-deps", "cloudbill/portal")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps cloudbill/portal: %v", err)
	}
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	if !deps["cloudbill/app"] || !deps["cloudbill/schedule/jobrun"] || !deps["cloudbill/document/sheet"] {
		t.Fatalf("go list -deps gave no cloudbill/app, schedule/jobrun or document/sheet: the listing is not the portal's\n%s", out)
	}
	for _, banned := range []string{
		"cloudbill/sql",                          // the store: only cmd/ assembles it
		"github.com/ClickHouse/clickhouse-go/v2", // the store's driver
		"cloudbill/schedule",                     // the scheduler, and through it
		"github.com/robfig/cron/v3",              // the cron library
		"cloudbill/document/pdf",                 // the typesetter, and through it
		"github.com/jung-kurt/gofpdf",            // the PDF library
		"cloudbill/cmd/cloudbill",                // the CLI
	} {
		if deps[banned] {
			t.Errorf("cloudbill/portal depends on %s", banned)
		}
	}
	for p := range deps {
		if strings.HasPrefix(p, "cloudbill/fixture/") {
			t.Errorf("cloudbill/portal depends on test data %s", p)
		}
	}
}
