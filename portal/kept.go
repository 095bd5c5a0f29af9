package portal

import (
	"context"
	"sync"
	"time"
)

// kept is a value read from the store and reused by every request: fresh for ttl; older,
// it is still answered (up to stale) while one read in the background replaces it, so
// that no request waits for the re-read (under load a query takes long, and every
// request of the portal asks for the month states and the organisation); older than
// stale, never read, or dropped, it is read before answering (concurrent callers wait for
// that one read).
type kept[T any] struct {
	mu         sync.Mutex
	val        T
	at         time.Time
	ok         bool
	gen        int // a read started under an older generation is not kept
	refreshing bool
}

// get answers the value; now is the clock its age is measured by.
func (k *kept[T]) get(ctx context.Context, now func() time.Time, ttl, stale time.Duration, read func(context.Context) (T, error)) (T, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	t := now()
	if age := t.Sub(k.at); k.ok && age >= 0 && age < stale {
		if age >= ttl && !k.refreshing {
			k.refreshing = true
			go k.refresh(now, stale, read, k.gen)
		}
		return k.val, nil
	}
	v, err := read(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	k.val, k.at, k.ok = v, t, true
	k.gen++
	return v, nil
}

func (k *kept[T]) refresh(now func() time.Time, stale time.Duration, read func(context.Context) (T, error), gen int) {
	ctx, cancel := context.WithTimeout(context.Background(), stale)
	defer cancel()
	t := now()
	v, err := read(ctx)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refreshing = false
	if err == nil && k.gen == gen {
		k.val, k.at = v, t
	}
}

// drop forgets the value: the next get reads it.
func (k *kept[T]) drop() {
	k.mu.Lock()
	k.ok = false
	k.gen++
	k.mu.Unlock()
}
