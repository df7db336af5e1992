package hub

// extraOps returns the request tables of features beyond chat, each
// defined in its own file: calls (calls.go), history changes
// (events.go), read state, receipts, typing and search (receipts.go),
// groups (groups.go), invite links (links.go), profiles and devices
// (people.go, sessions.go), blocking, requests and muting (blocks.go). It
// runs once, from New.
func (h *Hub) extraOps() []map[string]op {
	h.calls = newCallLayer(h)
	h.rx = newReceiptLayer(h)
	return []map[string]op{h.callOps(), h.eventOps(), h.receiptOps(), h.groupOps(), h.linkOps(), h.peopleOps(), h.blockOps()}
}
