package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"cloudbill/access"
	"cloudbill/catalog"
)

func usersCommand() *command {
	return &command{
		Name:  "users",
		Usage: "add|list|disable|enable|reset-password|token …",
		Short: "portal accounts: add, list, disable, enable, reset a password, token",
		Long:  usersHelp,
		Subs: []*command{
			{
				Name:  "add",
				Usage: "LOGIN --role ROLE [--department ID | --vendor ID] [--password-file F]",
				Short: "add an account (password from --password-file or standard input)",
				Long:  usersHelp,
				Args:  "LOGIN",
				Flags: func(fs *flagSet) runFunc {
					var p usersAddParams
					fs.StringVar(&p.Role, "role", "", "`role`: department, vendor, finance or bureau")
					fs.StringVar(&p.Department, "department", "", "department `id` (role department)")
					fs.StringVar(&p.Vendor, "vendor", "", "vendor `id` (role vendor)")
					fs.StringVar(&p.PasswordFile, "password-file", "", "read the password from `file` (first line); default: standard input")
					fs.Require("role")
					return func(ctx context.Context, a *app, args []string) error {
						p.Login = args[0]
						return usersAdd(ctx, a, p)
					}
				},
			},
			{
				Name:  "list",
				Short: "one line an account: login, role, binding, state",
				Long:  usersHelp,
				Flags: func(*flagSet) runFunc {
					return func(ctx context.Context, a *app, _ []string) error { return usersList(ctx, a) }
				},
			},
			{
				Name:  "disable",
				Usage: "LOGIN",
				Short: "end the account's sessions, revoke its tokens, refuse its sign-in",
				Long:  usersHelp,
				Args:  "LOGIN",
				Flags: func(*flagSet) runFunc {
					return func(ctx context.Context, a *app, args []string) error { return usersDisable(ctx, a, args[0]) }
				},
			},
			{
				Name:  "enable",
				Usage: "LOGIN",
				Short: "let a disabled account sign in again",
				Long:  usersHelp,
				Args:  "LOGIN",
				Flags: func(*flagSet) runFunc {
					return func(ctx context.Context, a *app, args []string) error { return usersEnable(ctx, a, args[0]) }
				},
			},
			{
				Name:  "reset-password",
				Usage: "LOGIN [--password-file F]",
				Short: "set a new password (from --password-file or standard input); the account's sessions end",
				Long:  usersHelp,
				Args:  "LOGIN",
				Flags: func(fs *flagSet) runFunc {
					file := fs.String("password-file", "", "read the new password from `file` (first line); default: standard input")
					return func(ctx context.Context, a *app, args []string) error {
						return usersResetPassword(ctx, a, args[0], *file)
					}
				},
			},
			{
				Name:  "token",
				Usage: "LOGIN [--expires DURATION]",
				Short: "a personal access token for the API, printed once",
				Long:  usersHelp,
				Args:  "LOGIN",
				Flags: func(fs *flagSet) runFunc {
					expires := fs.String("expires", "", "the token expires after `DURATION` (720h, 90d); default: never")
					return func(ctx context.Context, a *app, args []string) error { return usersToken(ctx, a, args[0], *expires) }
				},
			},
		},
	}
}

// usersAddParams is one account to add, from the command line.
type usersAddParams struct {
	Login, Role, Department, Vendor, PasswordFile string
}

const usersHelp = `
Manages the accounts of the portal (cloudbill serve) and its JSON API.

  users add LOGIN --role department|vendor|finance|bureau [--department ID | --vendor ID]
                  [--password-file F]     the password is read from F, else from standard
                                          input (first line); at least 10 characters
  users list                              one line an account: login, role, binding, state
  users disable LOGIN                     ends the account's sessions at once (a running
                                          serve notices within 2 s), revokes its
                                          personal tokens, refuses its sign-in; the last
                                          enabled bureau account is never disabled
  users enable LOGIN                      lets a disabled account sign in again (its
                                          tokens stay revoked)
  users reset-password LOGIN [--password-file F]
                                          a new password, read like add's; the account's
                                          sessions end
  users token LOGIN [--expires DURATION]  a personal access token for the API
                                          (Authorization: Bearer …), printed once, alone on
                                          the last line; DURATION like 720h or 90d

Roles: department (one department and its subordinate units), vendor (one vendor's
settlement, deductions and reconciliations; uploads its invoices), finance (everything,
closes months), bureau (everything, manages accounts). Passwords are stored as argon2id
hashes, tokens as SHA-256 hashes; neither is ever printed again. Every change is audited.
The portal's account page (/accounts, bureau) does the same through the same code.`

// operator is the identity of whoever runs the command, for the audit log.
func operator() access.Identity {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return access.Local(name)
}

// accessService opens the access service on the store.
func (a *app) accessService(ctx context.Context) (*access.Service, error) {
	s, err := a.Store(ctx)
	if err != nil {
		return nil, err
	}
	return access.New(access.Config{Store: s, Now: a.now})
}

func usersAdd(ctx context.Context, a *app, p usersAddParams) error {

	login, err := access.ParseLogin(p.Login)
	if err != nil {
		return usagef("users add: %v", err)
	}
	r, err := access.ParseRole(p.Role)
	if err != nil {
		return usagef("users add: --role: %v", err)
	}
	u := access.User{Login: login, Role: r, Department: catalog.DepartmentID(p.Department), Vendor: catalog.VendorID(p.Vendor)}
	if err := u.Validate(); err != nil {
		return usagef("users add: %v", err)
	}
	pw, err := readPassword(p.PasswordFile, os.Stdin)
	if err != nil {
		return usagef("users add: %v", err)
	}
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	org, err := s.Org(ctx)
	if err != nil {
		return err
	}
	if err := access.CheckBinding(u, org); err != nil {
		return usagef("users add: --%v", err)
	}
	svc, err := a.accessService(ctx)
	if err != nil {
		return err
	}
	_, err = svc.AddUser(ctx, access.AddUserParams{Login: login, Role: r, Department: u.Department, Vendor: u.Vendor, Password: pw, Org: &org, By: operator()})
	if errors.Is(err, access.ErrExists) {
		return &exitError{exitBadInput, err}
	}
	if err != nil {
		if strings.Contains(err.Error(), "password too short") {
			return usagef("users add: %v", err)
		}
		return err
	}
	fmt.Fprintf(a.stdout, "added %s (%s%s)\n", login, r, binding(u))
	return nil
}

func binding(u access.User) string {
	switch {
	case u.Department != "":
		return " of department " + string(u.Department)
	case u.Vendor != "":
		return " of vendor " + string(u.Vendor)
	}
	return ""
}

// readPassword reads the first line of file, or of stdin when file is "".
func readPassword(file string, stdin io.Reader) (string, error) {
	r := stdin
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password given (first line of --password-file or standard input)")
	}
	return line, nil
}

func usersList(ctx context.Context, a *app) error {
	svc, err := a.accessService(ctx)
	if err != nil {
		return err
	}
	us, err := svc.Users(ctx)
	if err != nil {
		return err
	}
	for _, u := range us {
		state := "active"
		if u.Disabled {
			state = "disabled"
		}
		b := "-"
		if u.Department != "" {
			b = "department=" + string(u.Department)
		}
		if u.Vendor != "" {
			b = "vendor=" + string(u.Vendor)
		}
		fmt.Fprintf(a.stdout, "%s\t%s\t%s\t%s\tcreated %s\n", u.Login, u.Role, b, state, u.CreatedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

func usersDisable(ctx context.Context, a *app, login string) error {
	svc, err := a.accessService(ctx)
	if err != nil {
		return err
	}
	err = svc.DisableUser(ctx, access.Login(login), operator(), "")
	if errors.Is(err, access.ErrNotFound) || errors.Is(err, access.ErrLastBureau) || errors.Is(err, access.ErrSelf) {
		return &exitError{exitBadInput, err}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "disabled %s: its sessions ended and its personal tokens revoked\n", login)
	return nil
}

func usersEnable(ctx context.Context, a *app, login string) error {
	svc, err := a.accessService(ctx)
	if err != nil {
		return err
	}
	err = svc.EnableUser(ctx, access.Login(login), operator(), "")
	if errors.Is(err, access.ErrNotFound) {
		return &exitError{exitBadInput, err}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "enabled %s: it may sign in again (its personal tokens stay revoked)\n", login)
	return nil
}

func usersResetPassword(ctx context.Context, a *app, login, file string) error {
	l, err := access.ParseLogin(login)
	if err != nil {
		return usagef("users reset-password: %v", err)
	}
	pw, err := readPassword(file, os.Stdin)
	if err != nil {
		return usagef("users reset-password: %v", err)
	}
	svc, err := a.accessService(ctx)
	if err != nil {
		return err
	}
	err = svc.ResetPassword(ctx, l, pw, operator(), "")
	switch {
	case errors.Is(err, access.ErrNotFound):
		return &exitError{exitBadInput, err}
	case err != nil && strings.Contains(err.Error(), "password too short"):
		return usagef("users reset-password: %v", err)
	case err != nil:
		return err
	}
	fmt.Fprintf(a.stdout, "new password set for %s: its sessions ended\n", login)
	return nil
}

func usersToken(ctx context.Context, a *app, login, expires string) error {
	d, err := parseExpiry(expires)
	if err != nil {
		return usagef("users token: --expires: %v", err)
	}
	svc, err := a.accessService(ctx)
	if err != nil {
		return err
	}
	nt, err := svc.CreatePersonalToken(ctx, access.Login(login), d, operator())
	if errors.Is(err, access.ErrNotFound) {
		return &exitError{exitBadInput, err}
	}
	if err != nil {
		return err
	}
	exp := "never expires"
	if !nt.Token.ExpiresAt.IsZero() {
		exp = "expires " + nt.Token.ExpiresAt.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(a.stdout, "personal token %s of %s (%s); it is shown once:\n%s\n", nt.Token.ID, login, exp, nt.Secret)
	return nil
}

// parseExpiry reads a Go duration or a number of days ("90d"); "" is 0 (never).
func parseExpiry(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 {
			return 0, fmt.Errorf("%q: want a positive duration like 720h or 90d", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a positive duration like 720h or 90d", s)
	}
	return d, nil
}
