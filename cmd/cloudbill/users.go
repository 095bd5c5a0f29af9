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

func init() {
	register("users", "portal accounts: add, list, disable, token", cmdUsers)
}

const usersHelp = `
Manages the accounts of the portal (cloudbill serve) and its JSON API.

  users add LOGIN --role department|vendor|finance|bureau [--department ID | --vendor ID]
                  [--password-file F]     the password is read from F, else from standard
                                          input (first line); at least 10 characters
  users list                              one line an account: login, role, binding, state
  users disable LOGIN                     ends the account's sessions at once, revokes its
                                          personal tokens, refuses its sign-in
  users token LOGIN [--expires DURATION]  a personal access token for the API
                                          (Authorization: Bearer …), printed once, alone on
                                          the last line; DURATION like 720h or 90d

Roles: department (one department and its subordinate units), vendor (one vendor's
settlement, deductions and reconciliations; uploads its invoices), finance (everything,
closes months), bureau (everything, manages accounts). Passwords are stored as argon2id
hashes, tokens as SHA-256 hashes; neither is ever printed again. Every change is audited.`

func cmdUsers(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fs := a.flags("users", "add|list|disable|token …", usersHelp)
		fs.Usage()
		if len(args) == 0 {
			return usagef("users: add, list, disable or token")
		}
		return errHelpShown
	}
	switch args[0] {
	case "add":
		return usersAdd(ctx, a, args[1:])
	case "list":
		return usersList(ctx, a, args[1:])
	case "disable":
		return usersDisable(ctx, a, args[1:])
	case "token":
		return usersToken(ctx, a, args[1:])
	}
	return usagef("users: unknown subcommand %q (add, list, disable, token)", args[0])
}

// loginFirst moves a leading LOGIN argument behind the flags, so that both
// `users add LOGIN --role r` and `users add --role r LOGIN` parse.
func loginFirst(args []string) []string {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return append(append([]string{}, args[1:]...), args[0])
	}
	return args
}

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

func usersAdd(ctx context.Context, a *app, args []string) error {
	fs := a.flags("users add", "LOGIN --role ROLE [--department ID | --vendor ID] [--password-file F]", usersHelp)
	role := fs.String("role", "", "`role`: department, vendor, finance or bureau (required)")
	dep := fs.String("department", "", "department `id` (role department)")
	ven := fs.String("vendor", "", "vendor `id` (role vendor)")
	pwFile := fs.String("password-file", "", "read the password from `file` (first line); default: standard input")
	if err := parse(fs, loginFirst(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("users add: give one LOGIN")
	}
	login, err := access.ParseLogin(fs.Arg(0))
	if err != nil {
		return usagef("users add: %v", err)
	}
	r, err := access.ParseRole(*role)
	if err != nil {
		return usagef("users add: --role: %v", err)
	}
	u := access.User{Login: login, Role: r, Department: catalog.DepartmentID(*dep), Vendor: catalog.VendorID(*ven)}
	if err := u.Validate(); err != nil {
		return usagef("users add: %v", err)
	}
	pw, err := readPassword(*pwFile, os.Stdin)
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
	if u.Department != "" {
		if _, ok := org.Departments[u.Department]; !ok {
			return usagef("users add: --department %s: unknown department (import it with cloudbill org import)", u.Department)
		}
	}
	if u.Vendor != "" {
		if _, ok := org.Vendors[u.Vendor]; !ok {
			return usagef("users add: --vendor %s: unknown vendor (import it with cloudbill org import)", u.Vendor)
		}
	}
	svc, err := a.accessService(ctx)
	if err != nil {
		return err
	}
	_, err = svc.AddUser(ctx, access.AddUserParams{Login: login, Role: r, Department: u.Department, Vendor: u.Vendor, Password: pw, By: operator()})
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

func usersList(ctx context.Context, a *app, args []string) error {
	fs := a.flags("users list", "", usersHelp)
	if err := parse(fs, args); err != nil {
		return err
	}
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

func usersDisable(ctx context.Context, a *app, args []string) error {
	fs := a.flags("users disable", "LOGIN", usersHelp)
	if err := parse(fs, loginFirst(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("users disable: give one LOGIN")
	}
	svc, err := a.accessService(ctx)
	if err != nil {
		return err
	}
	err = svc.DisableUser(ctx, access.Login(fs.Arg(0)), operator(), "")
	if errors.Is(err, access.ErrNotFound) {
		return &exitError{exitBadInput, err}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "disabled %s: its sessions ended and its personal tokens revoked\n", fs.Arg(0))
	return nil
}

func usersToken(ctx context.Context, a *app, args []string) error {
	fs := a.flags("users token", "LOGIN [--expires DURATION]", usersHelp)
	expires := fs.String("expires", "", "the token expires after `DURATION` (720h, 90d); default: never")
	if err := parse(fs, loginFirst(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("users token: give one LOGIN")
	}
	d, err := parseExpiry(*expires)
	if err != nil {
		return usagef("users token: --expires: %v", err)
	}
	svc, err := a.accessService(ctx)
	if err != nil {
		return err
	}
	nt, err := svc.CreatePersonalToken(ctx, access.Login(fs.Arg(0)), d, operator())
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
	fmt.Fprintf(a.stdout, "personal token %s of %s (%s); it is shown once:\n%s\n", nt.Token.ID, fs.Arg(0), exp, nt.Secret)
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
