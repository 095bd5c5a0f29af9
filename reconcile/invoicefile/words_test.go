package invoicefile

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/fixture/badinvoice"
	"cloudbill/glossary"
	"cloudbill/internal/csvin"
)

// TestBadInvoiceWords: every bad invoice of the shared cases (fixture/badinvoice) is
// refused with coded errors (csvin.Error with a Code), which the glossary says in Chinese
// naming the file, the line, the record and the column, as the portal and the command
// line show them.
func TestBadInvoiceWords(t *testing.T) {
	for _, c := range badinvoice.Cases(t, want.Vendor, want.Period, "O1", "C01") {
		t.Run(c.Name, func(t *testing.T) {
			inv, err := ReadFrom(c.File, bytes.NewReader(c.Body), want)
			require.Error(t, err)
			assert.Empty(t, inv.Claims)
			var es csvin.Errors
			require.ErrorAs(t, err, &es)
			for _, e := range es {
				assert.NotEmpty(t, e.Code, "%s: coded", e)
			}
			text, ok := glossary.InputErrors(err)
			require.True(t, ok)
			assert.Contains(t, text, c.Want)
		})
	}
}
