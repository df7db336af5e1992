package call

// Group calls: one jitter buffer and decoder per speaker's slot, mixed
// into what plays. (Being built: this file holds the API the app codes
// against.)

// SlotStats is what the engine hears from one slot of a group call.
type SlotStats struct {
	Active   bool    // a packet came from this slot since it was last reset
	Level    float32 // the slot's decoded level, 0 to 1, on Stats.Level's scale
	Speaking bool    // the level was above the speaking threshold within the last 300 ms
}

// ResetSlot forgets what slot played so far: someone else holds it now
// (proto.GroupCallState showed a new person in it), so their stream
// starts afresh with its own sequence numbers and timestamps.
func (e *Engine) ResetSlot(slot int) {}
