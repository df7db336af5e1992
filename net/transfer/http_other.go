//go:build !js

package transfer

import (
	"net"
	"net/http"
	"time"
)

// defaultHTTP is Options.HTTP's default: a client tuned for large bodies,
// without an overall timeout.
func defaultHTTP() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute, // a chunk's fsync and commit, on a slow disk
		WriteBufferSize:       256 << 10,
		ReadBufferSize:        256 << 10,
	}}
}
