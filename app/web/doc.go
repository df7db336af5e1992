// Package web is the browser app's page: index.html, which tools/web.sh
// copies beside the app built for js/wasm, and the end-to-end test that
// loads that build from a real server in headless Chromium and chats
// with a Go client. There is no Go code to import here.
package web
