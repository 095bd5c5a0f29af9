package statements_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"cloudbill/statements"
)

// An issue's word is final for a closed month's issue and provisional otherwise (the
// portal's month list and statement downloads say it).
func TestIssueStatus(t *testing.T) {
	assert.Equal(t, "final", statements.IssueInfo{Final: true}.Status())
	assert.Equal(t, "provisional", statements.IssueInfo{}.Status())
}
