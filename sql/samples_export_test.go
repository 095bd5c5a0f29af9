package chstore

import "context"

// InsertsNatively reports whether InsertSamples hands its columns to the driver's
// batch directly (not through Append): a batch is prepared and aborted.
func InsertsNatively(ctx context.Context, s *Store) (bool, error) {
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO usage_samples (resource_id, metric, ts, value, source, ingested_at, version)")
	if err != nil {
		return false, err
	}
	defer batch.Abort()
	return new(sortedColumns).into(batch.Columns()), nil
}
