// Package servicetest starts, for one test, private instances of the
// services cluster mode runs on: PostgreSQL, NATS (with JetStream) and an
// S3-compatible server (versitygw's posix backend). Each instance lives in
// the test's temporary directory, listens on a free 127.0.0.1 port, answers
// before its function returns, and is stopped and removed at t.Cleanup.
//
// Nothing is assumed to be installed: the first call in a test process runs
// tools/services.sh build, which installs Debian's PostgreSQL when missing
// and builds nats-server and versitygw at pinned versions into a cache
// outside the repository (seconds once built; minutes the first time).
// A service that cannot be had fails the test with what is missing and how
// to get it; it is never skipped.
//
// It runs on Linux only: it starts PostgreSQL as another user and ties every
// service's life to the test process's (Pdeathsig), so a test killed by its
// timeout leaves nothing running.
package servicetest
