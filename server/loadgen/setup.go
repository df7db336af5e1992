package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"parley/net/proto"
)

const password = "loadgen-password"

// parallel runs fn(i) for i in [0, n) on at most workers goroutines and
// returns the first error. fn receives its worker number.
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, worker, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range min(workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(ctx, w, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// pool is a set of setup connections, one per worker, opened on first use.
type pool struct {
	addr  string
	conns []*wsConn
	ids   []int
}

func newPool(addr string, workers int) *pool {
	return &pool{addr: addr, conns: make([]*wsConn, workers), ids: make([]int, workers)}
}

func (p *pool) call(ctx context.Context, w int, typ string, body, reply any) error {
	if p.conns[w] == nil {
		c, err := dialWS(ctx, p.addr, 4096)
		if err != nil {
			return err
		}
		p.conns[w] = c
	}
	p.ids[w]++
	return p.conns[w].call(ctx, p.ids[w], typ, body, reply)
}

func (p *pool) close() {
	for _, c := range p.conns {
		if c != nil {
			c.Close()
		}
	}
}

// registerUsers creates n accounts over workers connections.
func registerUsers(ctx context.Context, addr string, n, workers int) ([]proto.User, error) {
	users := make([]proto.User, n)
	p := newPool(addr, workers)
	defer p.close()
	err := parallel(ctx, n, workers, func(ctx context.Context, w, i int) error {
		var r proto.RegisterReply
		if err := p.call(ctx, w, proto.TypeRegister, proto.RegisterRequest{Name: fmt.Sprintf("lg-%d", i), Password: password}, &r); err != nil {
			return fmt.Errorf("register user %d: %w", i, err)
		}
		users[i] = r.User
		return nil
	})
	return users, err
}

// login opens a connection logged in as u.
func login(ctx context.Context, addr string, u proto.User, readBuf int) (*wsConn, error) {
	c, err := dialWS(ctx, addr, readBuf)
	if err != nil {
		return nil, err
	}
	if err := c.call(ctx, 1, proto.TypeLogin, proto.LoginRequest{User: u.ID, Password: password, Device: "loadgen"}, nil); err != nil {
		c.Close()
		return nil, fmt.Errorf("log in %d: %w", u.ID, err)
	}
	return c, nil
}

// loginAll opens one logged-in connection per user.
func loginAll(ctx context.Context, t *target, users []proto.User, workers, readBuf int) ([]*wsConn, error) {
	conns := make([]*wsConn, len(users))
	err := parallel(ctx, len(users), workers, func(ctx context.Context, _, i int) error {
		c, err := login(ctx, t.addrFor(i), users[i], readBuf)
		conns[i] = c
		return err
	})
	if err != nil {
		closeAll(conns)
		return nil, err
	}
	return conns, nil
}

func closeAll(conns []*wsConn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// groupOf makes users[0] create a group and invite every other user, over
// workers connections of users[0]; no invitee is online, so each invite
// reaches only the owner's setup connections. It returns the group.
func groupOf(ctx context.Context, addr string, users []proto.User, workers int) (proto.ConvID, error) {
	owner := users[0]
	workers = max(1, min(workers, len(users)-1))
	conns := make([]*wsConn, workers)
	defer closeAll(conns)
	for w := range conns {
		c, err := login(ctx, addr, owner, 64<<10)
		if err != nil {
			return 0, err
		}
		conns[w] = c
	}
	var g proto.ConversationReply
	if err := conns[0].call(ctx, 2, proto.TypeCreateGroup, proto.CreateGroupRequest{Name: "loadgen"}, &g); err != nil {
		return 0, err
	}
	conv := g.Conversation.ID
	ids := make([]atomic.Int64, workers)
	for i := range ids {
		ids[i].Store(10)
	}
	err := parallel(ctx, len(users)-1, workers, func(ctx context.Context, w, i int) error {
		id := int(ids[w].Add(1))
		if err := conns[w].call(ctx, id, proto.TypeInvite, proto.InviteRequest{User: users[i+1].ID, Group: conv}, nil); err != nil {
			return fmt.Errorf("invite %d: %w", users[i+1].ID, err)
		}
		return nil
	})
	return conv, err
}

// lastSeq asks, over c, for the newest seq of conv.
func lastSeq(ctx context.Context, c *wsConn, id int, conv proto.ConvID) (int64, error) {
	var r proto.ConversationsReply
	if err := c.call(ctx, id, proto.TypeConversations, nil, &r); err != nil {
		return 0, err
	}
	for _, cv := range r.Conversations {
		if cv.ID == conv {
			return cv.LastSeq, nil
		}
	}
	return 0, fmt.Errorf("conversation %d is not in the list", conv)
}
