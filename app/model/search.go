package model

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/store"
)

// Search finds messages in two places: the local index (at once) and the
// server's (docs/protocol.md, "Search"), which also holds the history
// this device never downloaded. The local results are published first;
// the server's are merged in when they come, one result per (conversation,
// seq), the local copy winning (it folds edits the server's index does
// not), newest first. Offline, or if the server refuses, the search says
// that its server part is missing (state.RemoteMissing). A newer search
// of the same place makes the answer of an older one stale: it is dropped.

// Search limits: the results kept, and the server pages asked for (a page
// may hold fewer matches than asked while more follow).
const (
	searchLimit       = 100
	searchServerPages = 5
)

// Search searches the history of every conversation; "" clears the
// search.
func (m *Model) Search(ctx context.Context, query string) error {
	return m.withAccount(func(a *account) error { return a.search(ctx, false, 0, query) })
}

// Find searches the history of conversation conv (the search within the
// open conversation: State.Find); "" clears it.
func (m *Model) Find(ctx context.Context, conv proto.ConvID, query string) error {
	return m.withAccount(func(a *account) error {
		if conv <= 0 && strings.TrimSpace(query) != "" {
			return badInput(state.InputNoConversation, "open a conversation first")
		}
		return a.search(ctx, true, conv, query)
	})
}

// search runs a search and publishes it in State.Search, or with find
// in State.Find.
func (a *account) search(ctx context.Context, find bool, conv proto.ConvID, query string) error {
	query = strings.TrimSpace(query)
	i := 0
	if find {
		i = 1
	}
	gen := a.searchGen[i].Add(1)
	current := func() bool { return a.searchGen[i].Load() == gen }
	publish := func(s *state.Search) {
		a.m.update(func(st *state.State) {
			if current() {
				if find {
					st.Find = s
				} else {
					st.Search = s
				}
			}
		})
	}
	if query == "" {
		publish(nil)
		return nil
	}
	publish(&state.Search{Query: query, Conv: conv, Running: true})
	local, err := a.db.Search(ctx, store.SearchQuery{Text: query, Conv: conv, Limit: searchLimit})
	if err != nil {
		publish(nil)
		return err
	}
	remote := state.RemoteMissing
	online := a.sess.State() == client.Online
	if online {
		remote = state.RemotePending
	}
	publish(&state.Search{Query: query, Conv: conv, Results: a.searchResults(local, nil), Remote: remote})
	if !online {
		return nil
	}
	started := a.spawn(func() {
		found, err := a.searchServer(a.ctx, conv, query)
		if err != nil {
			if a.ctx.Err() == nil {
				a.m.log.Info("server search", "err", err)
			}
			publish(&state.Search{Query: query, Conv: conv, Results: a.searchResults(local, nil), Remote: state.RemoteMissing})
			return
		}
		publish(&state.Search{Query: query, Conv: conv, Results: a.searchResults(local, found), Remote: state.RemoteDone})
	})
	if !started {
		publish(&state.Search{Query: query, Conv: conv, Results: a.searchResults(local, nil), Remote: state.RemoteMissing})
	}
	return nil
}

// searchServer asks the server for up to searchLimit matches, paging on
// while a page says more follow.
func (a *account) searchServer(ctx context.Context, conv proto.ConvID, query string) ([]proto.Message, error) {
	var found []proto.Message
	var before int64
	for range searchServerPages {
		var r proto.SearchReply
		req := proto.SearchRequest{Query: query, Conv: conv, Before: before, Limit: proto.MaxSearchLimit}
		if err := a.sess.Call(ctx, proto.TypeSearch, req, &r); err != nil {
			return nil, err
		}
		found = append(found, r.Messages...)
		if r.Next == 0 || len(found) >= searchLimit {
			break
		}
		before = r.Next
	}
	return found, nil
}

// searchResults merges the local results with the server's: one per
// (conversation, seq), the local copy first, only of conversations this
// device knows I am in, none I hid, newest first, at most searchLimit.
func (a *account) searchResults(local, remote []proto.Message) []state.Message {
	type key struct {
		conv proto.ConvID
		seq  int64
	}
	seen := map[key]bool{}
	var all []proto.Message
	for _, m := range local {
		seen[key{m.Conv, m.Seq}] = true
		all = append(all, m)
	}
	member := map[proto.ConvID]bool{}
	if len(remote) > 0 {
		if cs, err := a.db.Conversations(a.ctx); err == nil {
			for _, c := range cs {
				member[c.ID] = true
			}
		}
	}
	for _, m := range remote {
		k := key{m.Conv, m.Seq}
		if seen[k] || !member[m.Conv] || m.Deleted || proto.IsChange(m.Kind) {
			continue
		}
		seen[k] = true
		all = append(all, m)
	}
	all = slices.DeleteFunc(all, func(m proto.Message) bool { return m.Hidden })
	slices.SortStableFunc(all, func(x, y proto.Message) int {
		return cmp.Or(cmp.Compare(y.Time, x.Time), cmp.Compare(x.Conv, y.Conv), cmp.Compare(y.Seq, x.Seq))
	})
	if len(all) > searchLimit {
		all = all[:searchLimit]
	}
	res := make([]state.Message, len(all))
	for i, m := range all {
		res[i] = state.Message{Message: m, Mine: m.Sender == a.user.ID}
	}
	return res
}
