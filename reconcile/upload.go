package reconcile

import (
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

// Upload is a vendor's invoice handed in through the portal, kept with its
// reconciliation: the file byte for byte and the report as the vendor saw it.
type Upload struct {
	ID          string
	Vendor      catalog.VendorID
	Period      calendar.Period
	UploadedAt  time.Time
	UploadedBy  string
	FileName    string
	FileSHA256  string
	File        []byte
	Provisional bool
	Claimed     decimal.Decimal
	Ours        decimal.Decimal
	Difference  decimal.Decimal
	Differences int
	// Summary is the reconciliation result as JSON (what the report page shows).
	Summary   string
	ReportCSV []byte
	ReportPDF []byte
}
