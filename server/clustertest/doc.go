// Package clustertest tests cluster mode with real processes: the server
// binary, built once, runs as three nodes on one PostgreSQL, one NATS
// server and one S3 bucket (server/internal/servicetest), and the tests
// kill (SIGKILL) and pause (SIGSTOP) nodes under continuous sends while
// clients (parley/net/client) connected to every node chat, upload files
// and watch each other's presence, and others (server/calls/callstest)
// call each other across the nodes. The message tests end with
// the same check: every acknowledged message is present exactly once, in
// gap-free order, on every member's device. The package has only tests.
package clustertest
