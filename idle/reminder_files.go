package idle

import (
	"bytes"
	"context"
	"os"
	"path/filepath"

	"cloudbill/document/sheet"
)

// WriteReminderFiles writes each reminder's files, DIR/<reminder date>/<department id>.pdf
// and .csv, as one batch of font.Typeset: the font is cut once to the runes of all the
// reminders (cutting the full font for each reminder was a third of the command's CPU on
// the city month) and each PDF embeds a cut of that face to its own text, exactly as
// typesetting it alone would, so the files do not depend on the other reminders or on the
// order the goroutines finish. The first error stops the rest and is returned.
func WriteReminderFiles(ctx context.Context, rs []Reminder, out string, font sheet.Typesetter) error {
	for _, r := range rs { // the directories first, once each
		if err := os.MkdirAll(filepath.Join(out, r.Date.String()), 0o755); err != nil {
			return err
		}
	}
	doc := func(i int) sheet.Doc { return rs[i].Doc(rs[i].Date.Start()) }
	return font.Typeset(ctx, len(rs), doc, func(i int, b []byte) error {
		return writeReminderFiles(rs[i], out, b)
	})
}

// writeReminderFiles writes one reminder's PDF (typeset) and CSV.
func writeReminderFiles(r Reminder, out string, doc []byte) error {
	base := filepath.Join(out, r.Date.String(), string(r.Department.ID))
	if err := os.WriteFile(base+".pdf", doc, 0o644); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteReminderCSV(&buf, r); err != nil {
		return err
	}
	return os.WriteFile(base+".csv", buf.Bytes(), 0o644)
}
