package chstore

// SetUsageByName makes UsageAggregates group sample identities by (resource_id, metric)
// instead of their hash, as it does when two windows' hashes collide.
func SetUsageByName(b bool) { usageByName = b }
