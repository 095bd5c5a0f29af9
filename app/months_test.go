package app

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The one rule of a month's state: closed wins, then a close under way, then rated with
// or without acceptance pending.
func TestStateOf(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		rated                bool
		pending              int
		beingClosed, closed  bool
		want                 State
		closable, wantClosed bool
	}{
		{name: "never rated", want: StateOpen},
		{name: "rated", rated: true, want: StateRated, closable: true},
		{name: "rated, acceptance pending", rated: true, pending: 2, want: StatePending, closable: true},
		{name: "being closed", rated: true, beingClosed: true, want: StateBeingClosed},
		{name: "claimed before it was rated", beingClosed: true, want: StateBeingClosed},
		{name: "closed", rated: true, closed: true, want: StateClosed, wantClosed: true},
		{name: "closed with acceptance pending (allowed)", rated: true, pending: 1, closed: true, want: StateClosed, wantClosed: true},
		{name: "closed, a stale claim", rated: true, beingClosed: true, closed: true, want: StateClosed, wantClosed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := StateOf(tc.rated, tc.pending, tc.beingClosed, tc.closed)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.closable, got.Closable(), "closable")
			assert.Equal(t, tc.wantClosed, got.Closed(), "closed")
			assert.Equal(t, tc.want == StateOpen, got.Open(), "open: never rated")
		})
	}
}
