package main

import (
	"context"
	"fmt"

	"cloudbill/catalog"
	"cloudbill/internal/csvin"
)

func ordersCommand() *command {
	return &command{
		Name:  "orders",
		Usage: "import FILE...",
		Short: "import work-order events",
		Long:  ordersExplain,
		Subs: []*command{{
			Name:  "import",
			Usage: "FILE...",
			Short: "import work-order event files, in the order given",
			Long:  ordersExplain,
			Args:  "FILE...",
			Flags: func(fs *flagSet) runFunc {
				enc := fs.Encoding()
				return func(ctx context.Context, a *app, files []string) error { return ordersImport(ctx, a, files, *enc) }
			},
		}},
	}
}

const ordersExplain = `
Imports work-order events (open, change, terminate) exported by the multi-cloud
management system, with their department-confirmed effective dates. Each file is checked
against the stored catalog, organisation and events (references exist, the item is offered
in the order's zone on the effective date, quantity positive, change and terminate only
after open, nothing after terminate, no date before the order's previous event, no second
open with other content, the project belongs to the order's department or its parent) and
accepted whole or refused whole. A terminate may leave the configuration columns empty: it
keeps the configuration in force. A terminate (or change) dated in a closed month is
accepted and marked late: rating books it as an adjustment. Events already stored are
skipped: importing a file again changes nothing. Files are imported in the order given;
with a refused file the others are still imported, and the exit status is 2.`

func ordersImport(ctx context.Context, a *app, files []string, enc csvin.Encoding) error {
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	var refused []string
	for _, path := range files {
		f, closeFile, err := openInput(path, enc)
		if err != nil {
			return err
		}
		rep, err := catalog.ImportEvents(ctx, s, f, a.now())
		closeFile()
		if err != nil {
			if rerr := a.refused(path, err); rerr != nil && exitCode(rerr) != exitBadInput {
				return rerr
			}
			refused = append(refused, path)
			continue
		}
		a.printReport(path, rep, "events")
	}
	if len(refused) > 0 {
		return &exitError{exitBadInput, fmt.Errorf("%w: %d of %d files refused", errQuiet, len(refused), len(files))}
	}
	return nil
}
