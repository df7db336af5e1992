package hub

import (
	"parley/server/metrics"
)

type hubMetrics struct {
	conns       *metrics.Gauge
	requests    *metrics.CounterVec
	errors      *metrics.CounterVec
	messagesIn  *metrics.Counter
	delivered   *metrics.Counter
	slow        *metrics.Counter
	fanout      *metrics.Histogram
	sendLatency *metrics.Histogram

	refused, loginTimeouts *metrics.Counter // connections closed by the limits
}

func newHubMetrics(r *metrics.Registry, h *Hub) hubMetrics {
	r.GaugeFunc("parley_users_online", "Users with at least one authenticated connection.", func() float64 {
		h.mu.RLock()
		defer h.mu.RUnlock()
		return float64(len(h.users))
	})
	return hubMetrics{
		conns:       r.Gauge("parley_connections", "Open WebSocket connections."),
		requests:    r.CounterVec("parley_requests_total", "Requests received, by type.", "type"),
		errors:      r.CounterVec("parley_errors_total", "Error replies sent, by code.", "code"),
		messagesIn:  r.Counter("parley_messages_in_total", "Messages accepted and stored."),
		delivered:   r.Counter("parley_messages_out_total", "Message pushes queued to connections (deliveries)."),
		slow:        r.Counter("parley_slow_consumers_total", "Connections closed because their queue was full."),
		fanout:      r.Histogram("parley_fanout_seconds", "Time to queue one committed batch to every recipient.", metrics.LatencyBuckets),
		sendLatency: r.Histogram("parley_send_seconds", "Time from a send request to its durable commit.", metrics.LatencyBuckets),

		refused:       r.Counter("parley_connections_refused_total", "Connections closed at once because their address had too many open (MaxConnsPerAddr)."),
		loginTimeouts: r.Counter("parley_login_timeouts_total", "Connections closed because they did not log in within LoginTimeout."),
	}
}
