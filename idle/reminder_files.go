package idle

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"cloudbill/document/sheet"
)

// WriteReminderFiles writes each reminder's files, DIR/<reminder date>/<department id>.pdf
// and .csv, typesetting on workers goroutines at once (≤ 0: runtime.NumCPU()). Each PDF
// is typeset with a font face cut for its own text, exactly as one at a time would, so
// the files do not depend on workers or on the order the goroutines finish. The first
// error stops the rest and is returned.
func WriteReminderFiles(ctx context.Context, rs []Reminder, out string, font sheet.Typesetter, workers int) error {
	for _, r := range rs { // the directories first, once each
		if err := os.MkdirAll(filepath.Join(out, r.Date.String()), 0o755); err != nil {
			return err
		}
	}
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	next := make(chan int)
	for w := 0; w < min(workers, len(rs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := writeReminderFiles(rs[i], out, font); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		}()
	}
feed:
	for i := range rs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// writeReminderFiles writes one reminder's PDF and CSV.
func writeReminderFiles(r Reminder, out string, font sheet.Typesetter) error {
	doc, err := font.Render(r.Doc(r.Date.Start()))
	if err != nil {
		return fmt.Errorf("reminder of %s: %w", r.Department.ID, err)
	}
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
