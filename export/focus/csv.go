package focus

import (
	"fmt"
	"io"

	"cloudbill/internal/csvout"
)

// WriteCSV writes rows as a FOCUS CSV file: UTF-8 without a byte-order mark, a header row
// of Columns, one record per row, nulls as empty cells. Text that a spreadsheet could take
// for a formula is neutralised (package csvout); numbers stay numbers.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csvout.NewWriter(w)
	if err := cw.Write(Columns()); err != nil {
		return fmt.Errorf("focus csv: %w", err)
	}
	for _, r := range rows {
		if err := cw.Write(r.Values()); err != nil {
			return fmt.Errorf("focus csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("focus csv: %w", err)
	}
	return nil
}
