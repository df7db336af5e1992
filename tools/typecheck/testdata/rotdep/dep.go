// Package rotdep is a third-party dependency of rot whose iOS file no
// longer builds against the API it uses, and whose cgo types FakeImportC
// cannot type: the first must be reported, the second not.
package rotdep

// Event is what the dependency's iOS file expects a field of.
type Event interface{ ImplementsEvent() }

// Ready is fine everywhere.
func Ready() bool { return true }
