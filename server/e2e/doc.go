// Package e2e holds the server's acceptance tests: a real server (in
// process through nodetest, or the built binary) driven by the real Go
// client, net/client. It has no code of its own outside its tests, and
// must not reach into the server's internals: everything it checks, a
// client could see.
//
// With PARLEY_E2E_CLUSTER=1 in the environment every test runs against a
// cluster instead: three nodes on one PostgreSQL database, one NATS
// server and one S3 bucket, behind a forwarder that sends each new
// connection to the next node (cluster_test.go). make test runs the
// package both ways.
package e2e
