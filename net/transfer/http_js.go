package transfer

import "net/http"

// defaultHTTP is Options.HTTP's default in the browser: the fetch API.
// (A Transport with a dialer of its own would try sockets, which a page
// does not have.)
func defaultHTTP() *http.Client { return &http.Client{Transport: http.DefaultTransport} }
