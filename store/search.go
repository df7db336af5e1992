package store

import "parley/net/proto"

// Search tokens: package searchtext makes them, for this index and the
// server's alike.

// searchable reports whether a message carries text to index.
// searchable reports whether m's text is indexed: not a change entry
// (an edit's text is indexed as its target's), not deleted.
func searchable(m proto.Message) bool { return m.Text != "" && !m.Deleted && !proto.IsChange(m.Kind) }

// searchOrder reports whether a comes before b in Memory's search results:
// newer first; the order of messages with the same time is unspecified.
func searchOrder(a, b proto.Message) bool {
	if a.Time != b.Time {
		return a.Time > b.Time
	}
	if a.Conv != b.Conv {
		return a.Conv < b.Conv
	}
	return a.Seq > b.Seq
}
