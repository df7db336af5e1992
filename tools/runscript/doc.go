// Package runscript tests tools/run.sh, what `make run` runs once the
// server and the app are built: the app starts only once this server
// listens, and a server that cannot start stops make run with a message.
// It has no code of its own.
package runscript
