package main

import (
	"context"

	"cloudbill/catalog"
	chstore "cloudbill/sql"
)

func acceptanceCommand() *command {
	return &command{
		Name:  "acceptance",
		Usage: "import FILE",
		Short: "import acceptance records",
		Long:  acceptanceExplain,
		Subs: []*command{
			importOneCommand("import", "import acceptance records", acceptanceExplain, "records",
				func(ctx context.Context, a *app, s *chstore.Store, f catalog.File) (catalog.Report, error) {
					return catalog.ImportAcceptance(ctx, s, f, a.now())
				}),
		},
	}
}

const acceptanceExplain = `
Imports acceptance and evaluation records (§22, §25): one per vendor and month, with the
result (passed, deferred, failed), the evaluation score (0–100), the measured availability
in percent and the last day the platform's security assessment is valid. The vendor must
exist. A record identical to the stored one is skipped; a different one for the same vendor
and month replaces it (rating uses the latest). A refused file lists every error, stores
nothing, and exits with status 2.`
