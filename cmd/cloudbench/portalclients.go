package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// portalClientsEnv marks the child process of the portal benchmark that plays its users:
// the server's CPU is then the parent's alone, and the clients' is measured apart.
const portalClientsEnv = "CLOUDBENCH_PORTAL_CLIENTS"

// clientUser is one signed-in user: its login and the paths it asks in turn.
type clientUser struct {
	Login string
	Paths []string
}

// clientsPlan is what the child is told on its standard input (one JSON line); each
// further line "round" starts a round, answered by a clientsRound (one JSON line on
// file descriptor 3).
type clientsPlan struct {
	Base, Password string
	Users          []clientUser
	Requests       int // per user and round
}

type clientsRound struct {
	Micros     []int64 // the time of each answered request
	Errors     int
	FirstError string
}

type clients struct {
	cmd  *exec.Cmd
	in   *json.Encoder
	out  *bufio.Reader
	done chan error
}

// startClients starts the child process and waits until every user is signed in.
func startClients(ctx context.Context, plan clientsPlan) (*clients, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "portal")
	cmd.Env = append(os.Environ(), portalClientsEnv+"=1")
	cmd.Stderr = os.Stderr
	cmd.ExtraFiles = []*os.File{pw}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	pw.Close()
	c := &clients{cmd: cmd, in: json.NewEncoder(stdin), out: bufio.NewReaderSize(pr, 1<<20), done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait() }()
	if err := c.in.Encode(plan); err != nil {
		return nil, err
	}
	var ready clientsRound
	if err := c.read(&ready); err != nil {
		return nil, fmt.Errorf("portal clients: sign in: %w", err)
	}
	if ready.FirstError != "" {
		return nil, fmt.Errorf("portal clients: sign in: %s", ready.FirstError)
	}
	return c, nil
}

func (c *clients) read(v any) error {
	line, err := c.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("portal clients ended: %v", err)
	}
	return json.Unmarshal(line, v)
}

// round has every user ask its paths Requests times, all at once.
func (c *clients) round(ctx context.Context) (clientsRound, error) {
	var r clientsRound
	if err := c.in.Encode("round"); err != nil {
		return r, err
	}
	return r, c.read(&r)
}

func (c *clients) pid() int { return c.cmd.Process.Pid }

func (c *clients) stop() {
	_ = c.cmd.Process.Kill()
	<-c.done
}

// runPortalClients is the child: it signs the users in, then plays a round each time it
// is told.
func runPortalClients(ctx context.Context) error {
	in := json.NewDecoder(os.Stdin)
	out := os.NewFile(3, "rounds")
	enc := json.NewEncoder(out)
	var plan clientsPlan
	if err := in.Decode(&plan); err != nil {
		return err
	}
	cs := make([]*benchClient, len(plan.Users))
	for i, u := range plan.Users {
		c, err := benchSignIn(plan.Base, u.Login, plan.Password)
		if err != nil {
			return enc.Encode(clientsRound{FirstError: err.Error()})
		}
		cs[i] = c
	}
	if err := enc.Encode(clientsRound{}); err != nil {
		return err
	}
	for {
		var cmd string
		if err := in.Decode(&cmd); err != nil {
			return nil // the parent is done
		}
		var mu sync.Mutex
		var r clientsRound
		var wg sync.WaitGroup
		for i, c := range cs {
			wg.Add(1)
			go func(c *benchClient, ps []string) {
				defer wg.Done()
				for k := 0; k < plan.Requests && ctx.Err() == nil; k++ {
					d, err := c.fetch(ps[k%len(ps)])
					mu.Lock()
					if err != nil {
						r.Errors++
						if r.FirstError == "" {
							r.FirstError = err.Error()
						}
					} else {
						r.Micros = append(r.Micros, d.Microseconds())
					}
					mu.Unlock()
				}
			}(c, plan.Users[i].Paths)
		}
		wg.Wait()
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
}

// procCPU is the user and system CPU time of process pid so far (0 if unknown).
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command may hold spaces
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100) // USER_HZ
}

// runningCH is the pid of the embedded ClickHouse of the benchmark's directory (0 if
// unknown).
func runningCH(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "clickhouse", "data", "status"))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "PID:"); ok {
			pid, _ := strconv.Atoi(strings.TrimSpace(v))
			return pid
		}
	}
	return 0
}
