// JNI calls for permissions_android.go: Gio gives Go the JavaVM and the
// view as plain handles; the calls below run on a thread attached for
// the call when it is not attached already.

#include <jni.h>
#include <stdint.h>

static JNIEnv *attach(JavaVM *vm, int *attached) {
	JNIEnv *env = NULL;
	*attached = 0;
	jint r = (*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_6);
	if (r == JNI_EDETACHED) {
		// (void *): the NDK declares JNIEnv **, the JDK void **.
		if ((*vm)->AttachCurrentThread(vm, (void *)&env, NULL) != JNI_OK) {
			return NULL;
		}
		*attached = 1;
	} else if (r != JNI_OK) {
		return NULL;
	}
	return env;
}

static void detach(JavaVM *vm, int attached) {
	if (attached) {
		(*vm)->DetachCurrentThread(vm);
	}
}

// requester loads org.parley.android.PermissionRequester through the
// view's class loader: a thread attached from native code would look in
// the system's class loader, which does not know the app's classes.
static jclass requester(JNIEnv *env, jobject view) {
	jclass viewClass = (*env)->GetObjectClass(env, view);
	jclass classClass = (*env)->GetObjectClass(env, viewClass);
	jmethodID getClassLoader = (*env)->GetMethodID(env, classClass, "getClassLoader", "()Ljava/lang/ClassLoader;");
	if (getClassLoader == NULL) {
		return NULL;
	}
	jobject loader = (*env)->CallObjectMethod(env, viewClass, getClassLoader);
	if ((*env)->ExceptionCheck(env) || loader == NULL) {
		return NULL;
	}
	jclass loaderClass = (*env)->GetObjectClass(env, loader);
	jmethodID loadClass = (*env)->GetMethodID(env, loaderClass, "loadClass", "(Ljava/lang/String;)Ljava/lang/Class;");
	if (loadClass == NULL) {
		return NULL;
	}
	jstring name = (*env)->NewStringUTF(env, "org.parley.android.PermissionRequester");
	if (name == NULL) {
		return NULL;
	}
	jclass cls = (jclass)(*env)->CallObjectMethod(env, loader, loadClass, name);
	if ((*env)->ExceptionCheck(env)) {
		return NULL;
	}
	return cls;
}

// parley_request calls PermissionRequester.request(view, which, id). It
// returns 0 when the call returned, -1 when Java was never reached (no
// class or method) and -2 when the call threw.
int parley_request(uintptr_t jvm, uintptr_t view, jint which, jlong id) {
	JavaVM *vm = (JavaVM *)jvm;
	int attached;
	JNIEnv *env = attach(vm, &attached);
	if (env == NULL) {
		return -1;
	}
	int ret = -1;
	(*env)->PushLocalFrame(env, 16);
	jclass cls = requester(env, (jobject)view);
	jmethodID request = NULL;
	if (cls != NULL) {
		request = (*env)->GetStaticMethodID(env, cls, "request", "(Landroid/view/View;IJ)V");
	}
	if (request != NULL) {
		(*env)->CallStaticVoidMethod(env, cls, request, (jobject)view, which, id);
		ret = (*env)->ExceptionCheck(env) ? -2 : 0;
	}
	if ((*env)->ExceptionCheck(env)) {
		(*env)->ExceptionDescribe(env);
		(*env)->ExceptionClear(env);
	}
	(*env)->PopLocalFrame(env, NULL);
	detach(vm, attached);
	return ret;
}

uintptr_t parley_new_global_ref(uintptr_t jvm, uintptr_t obj) {
	JavaVM *vm = (JavaVM *)jvm;
	int attached;
	JNIEnv *env = attach(vm, &attached);
	if (env == NULL) {
		return 0;
	}
	jobject ref = (*env)->NewGlobalRef(env, (jobject)obj);
	detach(vm, attached);
	return (uintptr_t)ref;
}

void parley_delete_global_ref(uintptr_t jvm, uintptr_t obj) {
	JavaVM *vm = (JavaVM *)jvm;
	int attached;
	JNIEnv *env = attach(vm, &attached);
	if (env == NULL) {
		return;
	}
	(*env)->DeleteGlobalRef(env, (jobject)obj);
	detach(vm, attached);
}
