package model

import (
	"context"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
)

// Forward sends a copy of message from to the conversation to (send with
// forward_of, docs/protocol.md "send: reply, mentions, forward"): the
// server copies its text or file (a file is not uploaded again) and marks
// it forwarded. It waits in the queue of history changes (changes.go),
// sent once even after a lost reply; a refusal is a notice.
func (m *Model) Forward(ctx context.Context, from proto.MessageRef, to proto.ConvID) error {
	return m.withAccount(func(a *account) error {
		if from.Conv <= 0 || from.Seq <= 0 || to <= 0 {
			return badInput(state.InputNoConversation, "open a conversation first")
		}
		ref := from
		a.mu.Lock()
		a.changes = append(a.changes, pendingChange{proto.TypeSend, proto.SendRequest{Conv: to, ClientID: client.NewClientID(), ForwardOf: &ref}})
		a.mu.Unlock()
		a.kickFlusher()
		return nil
	})
}
