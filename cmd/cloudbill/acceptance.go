package main

import (
	"context"

	"cloudbill/catalog"
	chstore "cloudbill/sql"
)

func init() {
	register("acceptance", "import acceptance records", cmdAcceptance)
}

const acceptanceExplain = `
Imports acceptance and evaluation records (§22, §25): one per vendor and month, with the
result (passed, deferred, failed), the evaluation score (0–100), the measured availability
in percent and the last day the platform's security assessment is valid. The vendor must
exist. A record identical to the stored one is skipped; a different one for the same vendor
and month replaces it (rating uses the latest). A refused file lists every error, stores
nothing, and exits with status 2.`

func cmdAcceptance(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || args[0] != "import" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			a.flags("acceptance", "import FILE", acceptanceExplain).Usage()
			return errHelpShown
		}
		return usagef("acceptance: want `acceptance import FILE`")
	}
	return a.importOne(ctx, "acceptance import", acceptanceExplain, args[1:], "records",
		func(ctx context.Context, s *chstore.Store, f catalog.File) (catalog.Report, error) {
			return catalog.ImportAcceptance(ctx, s, f, a.now())
		})
}
