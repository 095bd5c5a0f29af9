package chstore

// IdleMeasureFastOnly lets tests disable MeasureIdle's exact pass.
var IdleMeasureFastOnly = &idleMeasureFastOnly

// SetIdleMeasureChunk makes s measure n resources by query (Config.IdleMeasureChunk)
// until restore is called.
func (s *Store) SetIdleMeasureChunk(n int) (restore func()) {
	old := s.idleChunk
	s.idleChunk = n
	return func() { s.idleChunk = old }
}
