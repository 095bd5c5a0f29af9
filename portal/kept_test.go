package portal

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A kept value is read once while fresh; once older than its ttl it is still answered
// while one read in the background replaces it; a read that started before a drop is not
// kept; a failed read is an error, never a value.
func TestKeptValue(t *testing.T) {
	var mu sync.Mutex
	clock := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	reads := 0
	release := make(chan struct{}, 10) // each background read waits for one token
	inBackground := false
	var fail error
	read := func(ctx context.Context) (int, error) {
		mu.Lock()
		reads++
		n, bg, err := reads, inBackground, fail
		mu.Unlock()
		if bg {
			<-release
		}
		return n, err
	}
	var k kept[int]
	ctx := context.Background()
	get := func() int {
		v, err := k.get(ctx, now, 2*time.Second, 30*time.Second, read)
		require.NoError(t, err)
		return v
	}
	readsNow := func() int { mu.Lock(); defer mu.Unlock(); return reads }
	waitFor := func(what string, ok func() bool) {
		deadline := time.Now().Add(time.Minute)
		for !ok() {
			require.True(t, time.Now().Before(deadline), "waited a minute for %s", what)
			time.Sleep(5 * time.Millisecond)
		}
	}

	assert.Equal(t, 1, get(), "first read")
	assert.Equal(t, 1, get(), "fresh: not read again")
	assert.Equal(t, 1, readsNow())

	mu.Lock()
	inBackground = true
	mu.Unlock()
	advance(3 * time.Second)
	assert.Equal(t, 1, get(), "older than ttl: the old value at once")
	assert.Equal(t, 1, get(), "one background read at a time")
	waitFor("the background read to start", func() bool { return readsNow() == 2 })
	release <- struct{}{}
	waitFor("the background read to be kept", func() bool { return get() == 2 })
	assert.Equal(t, 2, readsNow())

	// a read started before a drop is not kept; the drop reads at once
	advance(3 * time.Second)
	assert.Equal(t, 2, get())
	waitFor("the background read to start", func() bool { return readsNow() == 3 })
	mu.Lock()
	inBackground = false
	mu.Unlock()
	k.drop()
	assert.Equal(t, 4, get(), "dropped: read before answering")
	release <- struct{}{}
	waitFor("the background read to end", func() bool { k.mu.Lock(); defer k.mu.Unlock(); return !k.refreshing })
	assert.Equal(t, 4, get(), "the read begun before the drop is not kept")

	// older than stale: read before answering; a failure is an error
	advance(time.Minute)
	mu.Lock()
	fail = errors.New("store down")
	mu.Unlock()
	_, err := k.get(ctx, now, 2*time.Second, 30*time.Second, read)
	require.Error(t, err)
	mu.Lock()
	fail = nil
	mu.Unlock()
	assert.Equal(t, 6, get())
}
