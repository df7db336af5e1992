package rotdep

/*
typedef void *jobject;
*/
import "C"

// Object is declared as a C type, as git.wow.st/gmp/jni's are.
type Object C.jobject

func isNil(o Object) bool { return o == 0 }

func fromContext(ctx uintptr) Object { return Object(ctx) }
