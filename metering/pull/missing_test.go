package pull_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"cloudbill/metering/pull"
)

// TestMissing: the windows missing of a month are every mapping's missing windows, none
// for complete mappings or none at all.
func TestMissing(t *testing.T) {
	assert.Equal(t, 0, pull.Missing(nil))
	sts := []pull.MappingStatus{
		{Vendor: "V1", Metric: "cpu", Expected: 96, Collected: 96},
		{Vendor: "V1", Metric: "mem", Expected: 96, Collected: 90, Failed: 2, Missing: 6},
		{Vendor: "V2", Metric: "cpu", Expected: 96, Collected: 95, Missing: 1},
	}
	assert.Equal(t, 7, pull.Missing(sts))
	assert.Equal(t, 0, pull.Missing(sts[:1]), "complete")
	assert.Len(t, pull.Incomplete(sts), 2, "the two incomplete mappings, as a close's refusal lists them")
}
