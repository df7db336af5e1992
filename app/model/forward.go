package model

import (
	"context"

	"parley/app/state"
	"parley/net/proto"
)

// Forward sends a copy of message from to the conversation to (send with
// forward_of, docs/protocol.md "send: reply, mentions, forward"): the
// server copies its text or file (a file is not uploaded again) and marks
// it forwarded. It waits in the queue of history changes (changes.go),
// sent once even after a lost reply; a refusal is a notice.
func (m *Model) Forward(ctx context.Context, from proto.MessageRef, to proto.ConvID) error {
	if to <= 0 {
		return m.fail(badInput(state.InputNoConversation, "choose a conversation to forward to"))
	}
	ref := from
	return m.queueChange(ctx, from.Conv, from.Seq, func(id string) pendingChange {
		return pendingChange{proto.TypeSend, proto.SendRequest{Conv: to, ClientID: id, ForwardOf: &ref}}
	})
}
