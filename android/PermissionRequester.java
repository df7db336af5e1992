// PermissionRequester asks Android for runtime permissions on behalf of
// Go (package parley/android, permissions_android.go) and reports each
// answer to the native onResult: exactly once per request id, on the UI
// thread. tools/mobile.sh compiles it into parley_android.jar, which gogio
// packages. Java 8, android.app APIs only (no support library).

package org.parley.android;

import android.app.Activity;
import android.app.Fragment;
import android.app.FragmentManager;
import android.content.pm.PackageManager;
import android.os.Build;
import android.os.Bundle;
import android.view.View;

import java.util.HashSet;
import java.util.Set;

public final class PermissionRequester {
	// The numbers of permissions.go.
	static final int MICROPHONE = 0;
	static final int NOTIFICATIONS = 1;

	private static final String ARG_PERMISSION = "permission";
	private static final String ARG_ID = "id";
	private static final int REQUEST_CODE = 0x5e1;

	// Requests of this process that Go waits for. An id leaves the set when
	// its answer goes to Go, so no answer goes twice; a fragment restored in
	// a new process (Go died with the old one) finds its id missing and
	// stays silent.
	private static final Set<Long> pending = new HashSet<Long>();

	// The user's answer to request id: onResult in permissions_android.go.
	private static native void onResult(long id, boolean granted);

	private PermissionRequester() {}

	// request asks for permission which (MICROPHONE or NOTIFICATIONS) over
	// the Activity of view. Go calls it from any thread; it never throws.
	public static void request(View view, final int which, final long id) {
		synchronized (pending) {
			pending.add(id);
		}
		try {
			final Activity activity = (Activity) view.getContext();
			activity.runOnUiThread(new Runnable() {
				@Override public void run() {
					try {
						ask(activity, which, id);
					} catch (RuntimeException e) {
						answer(id, false);
					}
				}
			});
		} catch (RuntimeException e) {
			answer(id, false);
		}
	}

	// ask answers at once when there is nothing to ask, and adds a
	// RequestFragment to show the system's dialog otherwise.
	private static void ask(Activity activity, int which, long id) {
		String permission = permission(which);
		if (permission == null) {
			answer(id, true); // granted without a dialog on this version
			return;
		}
		if (activity.checkSelfPermission(permission) == PackageManager.PERMISSION_GRANTED) {
			answer(id, true);
			return;
		}
		Bundle args = new Bundle();
		args.putString(ARG_PERMISSION, permission);
		args.putLong(ARG_ID, id);
		RequestFragment f = new RequestFragment();
		f.setArguments(args);
		activity.getFragmentManager().beginTransaction()
			.add(f, "org.parley.android.permission." + id)
			.commitAllowingStateLoss();
	}

	// permission names which, or returns null when this Android version
	// grants it without asking: every permission before Android 6, which
	// granted them at install, and notifications before Android 13.
	static String permission(int which) {
		switch (which) {
		case MICROPHONE:
			return Build.VERSION.SDK_INT >= 23 ? "android.permission.RECORD_AUDIO" : null;
		case NOTIFICATIONS:
			return Build.VERSION.SDK_INT >= 33 ? "android.permission.POST_NOTIFICATIONS" : null;
		default:
			throw new IllegalArgumentException("unknown permission " + which);
		}
	}

	static void answer(long id, boolean granted) {
		synchronized (pending) {
			if (!pending.remove(id)) {
				return;
			}
		}
		onResult(id, granted);
	}

	// RequestFragment shows the dialog for one request: the Activity
	// delivers the answer to the fragment that asked (a fragment of
	// android.app, as Gio's own GioView uses).
	public static final class RequestFragment extends Fragment {
		@Override public void onCreate(Bundle state) {
			super.onCreate(state);
			if (state == null) {
				requestPermissions(new String[] {getArguments().getString(ARG_PERMISSION)}, REQUEST_CODE);
				return;
			}
			// Recreated with its Activity: the answer comes to this
			// instance, if the process still waits for it.
			synchronized (pending) {
				if (pending.contains(getArguments().getLong(ARG_ID))) {
					return;
				}
			}
			remove();
		}

		@Override public void onRequestPermissionsResult(int requestCode, String[] permissions, int[] results) {
			if (requestCode != REQUEST_CODE) {
				return;
			}
			// No results: the request was interrupted, which counts as a no.
			boolean granted = results.length > 0;
			for (int r : results) {
				granted &= r == PackageManager.PERMISSION_GRANTED;
			}
			answer(getArguments().getLong(ARG_ID), granted);
			remove();
		}

		private void remove() {
			FragmentManager fm = getFragmentManager();
			if (fm != null) {
				fm.beginTransaction().remove(this).commitAllowingStateLoss();
			}
		}
	}
}
