package chstore

// SetUsageByName makes UsageAggregates group sample identities by (resource_id, metric)
// instead of their hash, as it does when two windows' hashes collide.
func SetUsageByName(b bool) { usageByName = b }

// SetUsageByArgMax makes UsageAggregates group every sample identity by argMax instead of
// reading the latest rows with FINAL, as it does when a series has rows of two owners.
func SetUsageByArgMax(b bool) { usageByArgMax = b }
