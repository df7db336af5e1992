// Package ui is Parley's Gio front end: the login and main screens, the
// widgets they are made of (message list, composer, conversation rows,
// notice bar, the call bar and the incoming-call dialog, the file bar,
// transfer rows and file messages), the theme (palette, type and spacing
// scales, fonts) and the translations (English and Simplified Chinese).
//
// ui draws a state.State it is given and returns what the user asked for
// as a list of Events (intents); it never touches the network, the
// database, the sound devices or the clock of the model, and it never
// blocks. Everything it keeps between frames is widget state (editors,
// scroll positions, which form or panel is open), owned by the UI value
// and used on the UI goroutine only. Platform services that need the
// window (the file picker, notifications) are the app's: ui asks for them
// with an Event (PickFile) and hears back through a method (PickerFailed).
package ui
