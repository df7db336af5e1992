// Package e2e holds the server's acceptance tests: a real server (in
// process through nodetest, or the built binary) driven by the real Go
// client, net/client. It has no code of its own outside its tests, and
// must not reach into the server's internals: everything it checks, a
// client could see.
package e2e
