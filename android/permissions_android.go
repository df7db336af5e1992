//go:build android

package android

/*
#include <jni.h>
#include <stdint.h>

// In permissions_android.c.
int parley_request(uintptr_t jvm, uintptr_t view, jint which, jlong id);
uintptr_t parley_new_global_ref(uintptr_t jvm, uintptr_t obj);
void parley_delete_global_ref(uintptr_t jvm, uintptr_t obj);
*/
import "C"

import (
	"errors"
	"runtime/cgo"

	"gioui.org/app"
	_ "gioui.org/app/permission/microphone" // gogio: RECORD_AUDIO in the manifest
	"gioui.org/io/event"
)

// NewPermissions returns Permissions that ask through
// PermissionRequester.java.
func NewPermissions() *Permissions { return newPermissions(askJava) }

// ListenEvents follows the window's Android view, which dialogs are shown
// over. Pass it every event of the window. Gio's reference to the view
// lasts only until its next view event, so this keeps its own.
func (p *Permissions) ListenEvents(e event.Event) {
	ev, ok := e.(app.AndroidViewEvent)
	if !ok {
		return
	}
	jvm := C.uintptr_t(app.JavaVM())
	var view uintptr
	if ev.View != 0 {
		view = uintptr(C.parley_new_global_ref(jvm, C.uintptr_t(ev.View)))
	}
	if old := p.setView(view); old != 0 {
		C.parley_delete_global_ref(jvm, C.uintptr_t(old))
	}
}

// askJava calls PermissionRequester.request(view, which, id), where id is
// a handle on answer that onResult redeems once.
func askJava(view uintptr, p permission, answer func(bool)) error {
	id := cgo.NewHandle(answer)
	switch C.parley_request(C.uintptr_t(app.JavaVM()), C.uintptr_t(view), C.jint(p), C.jlong(id)) {
	case 0:
		return nil
	case -1: // Java never saw id
		id.Delete()
		return errors.New("PermissionRequester is missing (was android/parley_android.jar packaged?)")
	default: // Java threw after it may have kept id: leak the handle rather than risk a second use
		return errors.New("PermissionRequester.request threw")
	}
}

// Java_org_parley_android_PermissionRequester_onResult is
// PermissionRequester.onResult: the user's answer to request id, on the
// UI thread. It only hands the answer over.
//
//export Java_org_parley_android_PermissionRequester_onResult
func Java_org_parley_android_PermissionRequester_onResult(env *C.JNIEnv, class C.jclass, id C.jlong, granted C.jboolean) {
	h := cgo.Handle(id)
	answer := h.Value().(func(bool))
	h.Delete()
	answer(granted == C.JNI_TRUE)
}
