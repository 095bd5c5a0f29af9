package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/metering"
	"cloudbill/metering/pull"
)

func tokensCommand() *command {
	return &command{
		Name:  "tokens",
		Usage: "create|list|revoke …",
		Short: "collector tokens of vendors (POST /v1/samples): create, list, revoke",
		Long:  tokensHelp,
		Subs: []*command{
			{
				Name:  "create",
				Usage: "--vendor ID [--expires DURATION]",
				Short: "a collector token of a vendor, printed once alone on the last line",
				Long:  tokensHelp,
				Flags: func(fs *flagSet) runFunc {
					vendor := fs.String("vendor", "", "the vendor `id` the token sends samples of")
					expires := fs.String("expires", "", "lifetime (`duration`: 90d, 720h …); default: until revoked")
					fs.Require("vendor")
					return func(ctx context.Context, a *app, _ []string) error { return tokensCreate(ctx, a, *vendor, *expires) }
				},
			},
			{
				Name:  "list",
				Short: "one line a token, its id first, newest last",
				Long:  tokensHelp,
				Flags: func(*flagSet) runFunc {
					return func(ctx context.Context, a *app, _ []string) error { return tokensList(ctx, a) }
				},
			},
			{
				Name:  "revoke",
				Usage: "ID",
				Short: "revoke a token at once",
				Long:  tokensHelp,
				Args:  "ID",
				Flags: func(*flagSet) runFunc {
					return func(ctx context.Context, a *app, args []string) error { return tokensRevoke(ctx, a, args[0]) }
				},
			},
		},
	}
}

const tokensHelp = `
Collector tokens let a vendor's platform send usage samples (POST /v1/samples with
Authorization: Bearer <token>). A token belongs to one vendor: lines whose source names
another vendor, or whose resource belongs to another vendor's work order, are refused.

  cloudbill tokens create --vendor ID [--expires DURATION]
      makes a token and prints it once, alone on the last line of standard output (it is
      stored only as a SHA-256 hash: it cannot be shown again). --expires: 90d, 720h …
  cloudbill tokens list
      one line a token, its id first, newest last: id, vendor, state (active, expired,
      revoked), created, expires. Personal tokens of portal users are listed too.
  cloudbill tokens revoke ID
      revokes a token at once: the next request with it gets 401.

Every change is recorded in the audit log.`

func tokensCreate(ctx context.Context, a *app, vendor, expires string) error {
	var d time.Duration
	if expires != "" {
		var err error
		if d, err = pull.ParseDuration(expires); err != nil {
			return usagef("tokens create: --expires: %v", err)
		}
	}
	store, err := a.Store(ctx)
	if err != nil {
		return err
	}
	ok, err := store.VendorExists(ctx, vendor)
	if err != nil {
		return err
	}
	if !ok {
		return usagef("tokens create: vendor %q is not known (cloudbill org import --vendors FILE)", vendor)
	}
	svc, err := a.accessService(ctx)
	if err != nil {
		return err
	}
	nt, err := svc.CreateCollectorToken(ctx, catalog.VendorID(vendor), d, operator())
	if err != nil {
		return err
	}
	exp := "never"
	if !nt.Token.ExpiresAt.IsZero() {
		exp = nt.Token.ExpiresAt.Format(time.RFC3339)
	}
	fmt.Fprintf(a.stdout, "collector token %s of vendor %s created (expires: %s); it is shown once, keep it now:\n", nt.Token.ID, vendor, exp)
	fmt.Fprintln(a.stdout, nt.Secret)
	return nil
}

func tokensList(ctx context.Context, a *app) error {
	svc, err := a.accessService(ctx)
	if err != nil {
		return err
	}
	ts, err := svc.ListTokens(ctx)
	if err != nil {
		return err
	}
	now := a.now()
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	for _, t := range ts {
		owner := "vendor " + string(t.Vendor)
		if t.Kind != access.TokenCollector {
			owner = "user " + string(t.Login)
		}
		exp := "-"
		if !t.ExpiresAt.IsZero() {
			exp = t.ExpiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\tcreated %s\texpires %s\t%s\n", t.ID, t.Kind, owner, t.State(now), t.CreatedAt.Format(time.RFC3339), exp, t.Note)
	}
	return tw.Flush()
}

func tokensRevoke(ctx context.Context, a *app, id string) error {
	svc, err := a.accessService(ctx)
	if err != nil {
		return err
	}
	if err := svc.RevokeToken(ctx, id, operator()); err != nil {
		if errors.Is(err, access.ErrNotFound) {
			return usagef("tokens revoke: no token %q (cloudbill tokens list)", id)
		}
		return err
	}
	fmt.Fprintf(a.stdout, "revoked token %s\n", id)
	return nil
}

// collectorAuth authenticates POST /v1/samples by a collector token (a personal token of
// a portal user is not one: 401).
func (a *app) collectorAuth(ctx context.Context) (func(r *http.Request) (metering.Client, error), error) {
	svc, err := a.accessService(ctx)
	if err != nil {
		return nil, err
	}
	return func(r *http.Request) (metering.Client, error) {
		bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || bearer == "" {
			return metering.Client{}, metering.ErrUnauthenticated
		}
		id, err := svc.Authenticate(r.Context(), strings.TrimSpace(bearer))
		if errors.Is(err, access.ErrUnauthenticated) || (err == nil && id.Via != access.ViaCollector) {
			return metering.Client{}, metering.ErrUnauthenticated
		}
		if err != nil {
			return metering.Client{}, err
		}
		return metering.Client{ID: "token:" + id.TokenID, Vendor: string(id.Vendor)}, nil
	}, nil
}
