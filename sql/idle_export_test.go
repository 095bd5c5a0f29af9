package chstore

// IdleMeasureFastOnly lets tests disable MeasureIdle's exact pass.
var IdleMeasureFastOnly = &idleMeasureFastOnly
