package rtc_test

import (
	"testing"

	"parley/net/proto"
	"parley/server/calls/callstest"
	"parley/server/internal/servicetest"
	"parley/server/node"
	"parley/server/node/nodetest"
	"parley/server/rtc"
)

// A group call held by one node of a cluster, with a participant whose
// UDP leg is on the other node (the one she is connected to): her node
// answers her offer after asking the call's node, and her audio and the
// others' cross between the nodes over the bus, in both directions.
func TestAUDPLegOnAnotherNodeThanItsCall(t *testing.T) {
	dsn, bus := servicetest.PostgreSQL(t), servicetest.StartNATS(t)
	start := func() *callstest.Server {
		srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
			c.DB, c.NATS = dsn, bus.URL
			c.UDP, c.UDPPublicIP = &rtc.Ports{}, "127.0.0.1"
		}))
		return callstest.At(srv.URL)
	}
	n1, n2 := start(), start()
	bob, ann := newParticipant(t, n1, "bob"), newParticipant(t, n2, "ann")
	conv := group(t, bob, ann)
	// Node 1 knows Ann's connection on node 2 once it has passed on her
	// typing (one node's events reach the others in order).
	if err := ann.Do(proto.TypeTyping, proto.TypingRequest{Conv: conv}, nil); err != nil {
		t.Fatal(err)
	}
	bob.Next(proto.TypeTyping, nil)

	id := bob.join(t, conv, 0)
	var in proto.CallIncoming
	ann.Next(proto.TypeCallIncoming, &in)
	if in.Call != id {
		t.Fatalf("ann rang with %+v, want call %d", in, id)
	}
	seeState(t, id, "bob@0", bob, ann)
	if ann.join(t, conv, 1) != id {
		t.Fatal("ann, through node 2, joined another call than node 1's")
	}
	seeState(t, id, "bob@0 ann@1", bob, ann)
	leg := dialLeg(t, ann, id)

	heard := false
	until(t, "bob's audio on ann's leg on the other node", func(int) {
		if _, err := bob.say("bob"); err != nil {
			t.Fatal(err)
		}
	}, func() bool {
		for {
			select {
			case g := <-leg.rtp:
				if len(g.p.Payload) == 0 {
					continue
				}
				if who, seq, ok := spoken(g.p.Payload); !ok || who != "bob" || g.mline != 0 || g.p.SequenceNumber != seq {
					t.Fatalf("ann's m-line %d got %q seq %d", g.mline, g.p.Payload, g.p.SequenceNumber)
				}
				heard = true
			default:
				return heard
			}
		}
	})

	heard = false
	until(t, "ann's UDP audio at bob on the call's node", func(int) {
		ann.sayUDP(leg, "ann")
	}, func() bool {
		drain(bob, func(b []byte) {
			g, err := proto.ParseGroupPacket(b)
			if err != nil || len(g.Payload) == 0 {
				return
			}
			if who, _, ok := spoken(g.Payload); ok && who == "ann" && g.Slot == 1 {
				heard = true
			}
		})
		return heard
	})
}
