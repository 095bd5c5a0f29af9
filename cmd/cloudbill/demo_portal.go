package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"cloudbill/access"
	"cloudbill/catalog"
)

// demoAccount is a ready account of the demo portal.
type demoAccount struct {
	Login, Password, Role, Sees string
}

// portalAccounts adds one portal account per role to the demo database (a department
// with subordinate units, a vendor, the finance bureau, the big-data bureau), with
// demo passwords that the demo prints: for trying the portal, never for production.
func (s *demoSteps) portalAccounts(ctx context.Context) ([]demoAccount, error) {
	var out []demoAccount
	err := s.do("cloudbill users add (one demo account per role)", func() error {
		st, err := s.a.Store(ctx)
		if err != nil {
			return err
		}
		org, err := st.Org(ctx)
		if err != nil {
			return err
		}
		dep := demoDepartment(org)
		var vens []string
		for id := range org.Vendors {
			vens = append(vens, string(id))
		}
		sort.Strings(vens)
		if dep == "" || len(vens) == 0 {
			return fmt.Errorf("demo accounts: no department or vendor")
		}
		svc, err := s.a.accessService(ctx)
		if err != nil {
			return err
		}
		ven := catalog.VendorID(vens[0])
		for _, p := range []access.AddUserParams{
			{Login: "dept", Role: access.RoleDepartment, Department: dep, Password: "demo-dept-2026"},
			{Login: "vendor", Role: access.RoleVendor, Vendor: ven, Password: "demo-vendor-2026"},
			{Login: "finance", Role: access.RoleFinance, Password: "demo-finance-2026"},
			{Login: "bureau", Role: access.RoleBureau, Password: "demo-bureau-2026"},
		} {
			p.By = operator()
			if _, err := svc.AddUser(ctx, p); err != nil {
				return err
			}
			sees := "everything"
			switch p.Role {
			case access.RoleDepartment:
				sees = fmt.Sprintf("department %s %s and its units", dep, org.Departments[dep].Name)
			case access.RoleVendor:
				sees = fmt.Sprintf("vendor %s %s", ven, org.Vendors[ven].Name)
			case access.RoleFinance:
				sees = "everything; closes months"
			case access.RoleBureau:
				sees = "everything; accounts, audit, imports"
			}
			out = append(out, demoAccount{string(p.Login), p.Password, string(p.Role), sees})
		}
		return nil
	})
	return out, err
}

// demoDepartment is the first top-level department (by id) that has subordinate units.
func demoDepartment(org catalog.Org) catalog.DepartmentID {
	var ids []string
	for id, d := range org.Departments {
		if d.Parent != "" {
			ids = append(ids, string(d.Parent))
		}
		_ = id
	}
	sort.Strings(ids)
	if len(ids) > 0 {
		return catalog.DepartmentID(ids[0])
	}
	for id := range org.Departments {
		return id
	}
	return ""
}

// printPortal tells how to open the portal on the demo data.
func printPortal(a *app, accounts []demoAccount) {
	where := "--data-dir " + a.dataDir
	if a.dsn != "" {
		where = "--clickhouse " + a.dsn
	}
	fmt.Fprintf(a.stdout, "\nportal: start it on the demo data with\n\n  ./bin/cloudbill %s serve --listen 127.0.0.1:8080 --close-schedule off\n\n(--close-schedule off: the open month waits for you to close it in the portal) then open http://127.0.0.1:8080/ and sign in with a demo account (demo passwords, for trying only):\n\n", where)
	for _, ac := range accounts {
		fmt.Fprintf(a.stdout, "  %-8s %-18s %-10s %s\n", ac.Login, ac.Password, ac.Role, ac.Sees)
	}
	fmt.Fprintf(a.stdout, "\n%s\n", strings.TrimSpace(`
(cloudbill users add|list|disable|token manages accounts; docs/portal.md describes the portal.)`))
}
