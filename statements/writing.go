package statements

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"cloudbill/internal/calendar"
)

// A month's statements are written into a hidden folder OUT/.YYYY-MM.writing-<random>
// and renamed to OUT/YYYY-MM when complete. Its writer first creates and locks (flock) a
// sibling file OUT/.YYYY-MM.writing-<random>.lock, then creates the folder, and holds
// the lock until the folder is renamed or removed. A writer killed midway (SIGKILL, a
// crash, a full disk) leaves both behind; the next issue of any month in OUT removes
// them: a folder whose lock file can be locked has no live writer. A folder without a
// lock file (left by an older cloudbill) is removed once it is staleWriting old.

const (
	writingMark  = ".writing-"
	staleWriting = 10 * time.Minute
)

// writingDir creates the folder a month's statements are written into, holding its
// lock; done removes what is left of the folder and releases the lock. It first clears
// the folders of dead writers in outDir.
func writingDir(outDir string, p calendar.Period) (dir string, done func(), err error) {
	CleanWriting(outDir)
	var r [8]byte
	_, _ = rand.Read(r[:])
	dir = filepath.Join(outDir, "."+p.String()+writingMark+hex.EncodeToString(r[:]))
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	if err != nil {
		return "", nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		_ = os.Remove(lock.Name())
		return "", nil, err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		_ = os.Remove(lock.Name())
		lock.Close()
		return "", nil, err
	}
	return dir, func() {
		_ = os.RemoveAll(dir) // gone once renamed
		_ = os.Remove(lock.Name())
		lock.Close()
	}, nil
}

// CleanWriting removes from outDir the statement folders of writers that are gone (see
// above) and returns their names. It never touches a folder whose writer runs.
func CleanWriting(outDir string) []string {
	entries, err := os.ReadDir(outDir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, ".") || !strings.Contains(name, writingMark) {
			continue
		}
		dir := filepath.Join(outDir, name)
		if !writerGone(dir) {
			continue
		}
		if err := os.RemoveAll(dir); err == nil {
			_ = os.Remove(dir + ".lock")
			removed = append(removed, name)
		}
	}
	// lock files whose folder is gone (a writer killed between the two, or cleaned)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.Contains(name, writingMark) || !strings.HasSuffix(name, ".lock") {
			continue
		}
		path := filepath.Join(outDir, name)
		if _, err := os.Stat(strings.TrimSuffix(path, ".lock")); errors.Is(err, os.ErrNotExist) && writerGone(strings.TrimSuffix(path, ".lock")) {
			_ = os.Remove(path)
		}
	}
	return removed
}

// writerGone reports whether the writer of folder dir is gone: its lock file can be
// locked, or there is none and the folder is older than staleWriting.
func writerGone(dir string) bool {
	lock, err := os.OpenFile(dir+".lock", os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		fi, err := os.Stat(dir)
		return err == nil && time.Since(fi.ModTime()) > staleWriting
	}
	if err != nil {
		return false
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return false
	}
	return true // (a dead writer's name is never reused: nobody else takes it meanwhile)
}
