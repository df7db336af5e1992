// Package android is Parley's Android glue: the runtime permission
// prompts that Gio does not make. Android grants RECORD_AUDIO (and, from
// Android 13, POST_NOTIFICATIONS) only when the user answers a system
// dialog at run time; declaring the permission in the manifest is not
// enough.
//
// Permissions.RequestMicrophone blocks until the user answers or the
// context ends, and fits media/audio's Config.RequestMicrophone. The
// dialog needs the app's Activity, which Go only sees through Gio's
// window events: pass every event of the window to ListenEvents.
//
// PermissionRequester.java asks Android and answers through a native
// callback (JNI), once per request. gogio does not compile Java: it adds
// the classes of every *.jar file in the directories of the program's
// packages, so tools/mobile.sh compiles PermissionRequester.java into
// parley_android.jar here before it runs gogio. Importing this package
// also imports gioui.org/app/permission/microphone, which is how gogio
// knows to declare RECORD_AUDIO in the manifest.
//
// On every other platform there is nothing to ask: the requests succeed
// at once and ListenEvents ignores the events.
//
// The package must not know about calls, the network or the UI; it only
// asks for permissions.
package android

//go:generate ../tools/mobile.sh android-jar
