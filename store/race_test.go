//go:build race

package store

// raceDetector is set when the tests run under the race detector, whose
// checkptr instrumentation makes modernc.org/sqlite about thirty times
// slower.
const raceDetector = true
