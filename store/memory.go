package store

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"parley/net/proto"
	"parley/searchtext"
)

// Memory is a Store held in memory: nothing survives the process. Tests use
// it, and the web build's durable store keeps its working set in one
// (modernc.org/sqlite does not build for js/wasm). Search scans every
// message, so it suits caches of up to some hundred thousand messages.
//
// A Memory is safe for concurrent use.
type Memory struct {
	d *memData
	// closed is per handle: reopen gives a new handle over the same data.
	mu     sync.Mutex
	closed bool
}

// memData is the content of a Memory, shared by the handles reopen makes.
type memData struct {
	opt Options

	mu        sync.Mutex
	session   *Session
	convs     map[proto.ConvID]*memConv
	outbox    []OutboxItem
	transfers map[string]Transfer
	drafts    map[proto.ConvID]string // drafts.go
	lastOpen  proto.ConvID
	// The queue of history changes and the newest hide (changes.go).
	changes     []memChange
	hiddenAfter int64
	played      map[string]bool // voice messages played (voice.go)
}

type memConv struct {
	c       Conversation // Unread is computed on the way out
	lastSeq int64        // seq of c.Last
	msgs    []memMsg     // sorted by seq
	members []proto.Member
}

type memMsg struct {
	m    proto.Message
	fold int64 // m is folded up to this seq (fold.go)
	// toks are the search tokens of m.Text, once indexed is set: when m is
	// put, or at the first search for messages the durable store loaded.
	toks    []string
	indexed bool
}

// index sets mm.toks if it is not set yet.
func (mm *memMsg) index() {
	if !mm.indexed {
		if searchable(mm.m) && !mm.m.Deleted {
			mm.toks = searchtext.IndexTokens(mm.m.Text)
		}
		mm.indexed = true
	}
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory(opt Options) *Memory {
	return &Memory{d: &memData{
		opt:       opt,
		convs:     make(map[proto.ConvID]*memConv),
		transfers: make(map[string]Transfer),
	}}
}

// reopen returns a new open handle over the same data, as if the process
// had reopened its database. Tests use it.
func (s *Memory) reopen() *Memory { return &Memory{d: s.d} }

// lock locks the data, or reports ErrClosed. The caller unlocks s.d.mu.
func (s *Memory) lock() error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	s.d.mu.Lock()
	return nil
}

// with runs f on the data, locked (ErrClosed once the store is closed).
func (s *Memory) with(f func(*memData) error) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.d.mu.Unlock()
	return f(s.d)
}

// Close implements Store.
func (s *Memory) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	return nil
}

// ---- Session ----

func (s *Memory) Session(ctx context.Context) (Session, error) {
	if err := s.lock(); err != nil {
		return Session{}, err
	}
	defer s.d.mu.Unlock()
	if s.d.session == nil {
		return Session{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	return *s.d.session, nil
}

func (s *Memory) SaveSession(ctx context.Context, ses Session) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.d.mu.Unlock()
	s.d.session = &ses
	return nil
}

func (s *Memory) ClearSession(ctx context.Context) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.d.mu.Unlock()
	s.d.session = nil
	return nil
}

// ---- Conversations ----

// conv returns the conversation id, creating a placeholder if needed.
func (d *memData) conv(id proto.ConvID) *memConv {
	c := d.convs[id]
	if c == nil {
		c = &memConv{c: Conversation{ID: id, Created: d.opt.now()}}
		d.convs[id] = c
	}
	return c
}

// noteMessage advances LastSeq and Last for m.
func (c *memConv) noteMessage(m proto.Message) {
	c.c.LastSeq = max(c.c.LastSeq, m.Seq)
	if m.Seq > c.lastSeq && shown(m) {
		c.lastSeq = m.Seq
		cp := copyMessage(m)
		c.c.Last = &cp
	}
}

func (c *memConv) out() Conversation {
	o := c.c
	o.Unread = o.LastSeq - o.ReadSeq
	for _, mm := range c.msgs[seqIndex(c.msgs, o.ReadSeq+1):] {
		if mm.m.Seq <= o.LastSeq && !shown(mm.m) {
			o.Unread-- // change entries are never unread
		}
	}
	o.Unread = max(0, o.Unread)
	if o.Peer != nil {
		p := *o.Peer
		o.Peer = &p
	}
	if o.Last != nil {
		m := copyMessage(*o.Last)
		o.Last = &m
	}
	return o
}

func validateConversations(cs []proto.Conversation) error {
	for _, pc := range cs {
		if pc.ID <= 0 {
			return fmt.Errorf("put conversation %d: %w", pc.ID, ErrInvalid)
		}
		if pc.Last != nil {
			if err := validateMessage(*pc.Last); err != nil {
				return fmt.Errorf("put conversation %d: last: %w", pc.ID, err)
			}
		}
	}
	return nil
}

func (s *Memory) PutConversations(ctx context.Context, cs ...proto.Conversation) error {
	if err := validateConversations(cs); err != nil {
		return err
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.d.mu.Unlock()
	s.d.putConversations(cs)
	return nil
}

func (d *memData) putConversations(cs []proto.Conversation) {
	for _, pc := range cs {
		c := d.conv(pc.ID)
		c.c.Kind, c.c.Name, c.c.Members, c.c.Picture = pc.Kind, pc.Name, pc.Members, pc.Picture
		c.c.Peer = nil
		if pc.Peer != nil {
			p := *pc.Peer
			c.c.Peer = &p
		}
		c.c.LastSeq = max(c.c.LastSeq, pc.LastSeq)
		if pc.Last != nil {
			c.noteMessage(*pc.Last)
		}
	}
}

func (s *Memory) SetConvSettings(ctx context.Context, cs ...proto.ConvSettings) error {
	return s.with(func(d *memData) error { d.setConvSettings(cs); return nil })
}

func (d *memData) setConvSettings(cs []proto.ConvSettings) {
	for _, set := range cs {
		if c := d.convs[set.Conv]; c != nil {
			c.c.Settings = set
		}
	}
}

func (s *Memory) Conversations(ctx context.Context) ([]Conversation, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.d.mu.Unlock()
	out := make([]Conversation, 0, len(s.d.convs))
	for _, c := range s.d.convs {
		out = append(out, c.out())
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Activity(), out[j].Activity()
		if a != b {
			return a > b
		}
		return out[i].ID > out[j].ID
	})
	return out, nil
}

func (s *Memory) Conversation(ctx context.Context, id proto.ConvID) (Conversation, error) {
	if err := s.lock(); err != nil {
		return Conversation{}, err
	}
	defer s.d.mu.Unlock()
	c := s.d.convs[id]
	if c == nil {
		return Conversation{}, fmt.Errorf("conversation %d: %w", id, ErrNotFound)
	}
	return c.out(), nil
}

func (s *Memory) DeleteConversation(ctx context.Context, id proto.ConvID) error {
	return s.with(func(d *memData) error { return d.deleteConversation(id) })
}

// deleteConversation removes the conversation from the map (its memConv is
// left as it was) and its items from a new outbox slice.
func (d *memData) deleteConversation(id proto.ConvID) error {
	if d.convs[id] == nil {
		return fmt.Errorf("delete conversation %d: %w", id, ErrNotFound)
	}
	delete(d.convs, id)
	d.outbox = slices.DeleteFunc(slices.Clone(d.outbox), func(it OutboxItem) bool { return it.Conv == id })
	return nil
}

func (s *Memory) MarkRead(ctx context.Context, id proto.ConvID, seq int64) error {
	return s.with(func(d *memData) error { return d.markRead(id, seq) })
}

func (d *memData) markRead(id proto.ConvID, seq int64) error {
	c := d.convs[id]
	if c == nil {
		return fmt.Errorf("mark read %d: %w", id, ErrNotFound)
	}
	c.c.ReadSeq = max(c.c.ReadSeq, seq)
	return nil
}

func (s *Memory) SetSynced(ctx context.Context, id proto.ConvID, seq int64) error {
	return s.with(func(d *memData) error { return d.setSynced(id, seq) })
}

func (d *memData) setSynced(id proto.ConvID, seq int64) error {
	c := d.convs[id]
	if c == nil {
		return fmt.Errorf("set synced %d: %w", id, ErrNotFound)
	}
	c.c.SyncedSeq = seq
	return nil
}

func (s *Memory) Have(ctx context.Context) (map[proto.ConvID]int64, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.d.mu.Unlock()
	have := make(map[proto.ConvID]int64, len(s.d.convs))
	for id, c := range s.d.convs {
		have[id] = c.c.SyncedSeq
	}
	return have, nil
}

// ---- Members ----

func (s *Memory) ReplaceMembers(ctx context.Context, conv proto.ConvID, ms []proto.Member) error {
	if conv <= 0 {
		return fmt.Errorf("replace members of %d: %w", conv, ErrInvalid)
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.d.mu.Unlock()
	s.d.replaceMembers(conv, ms)
	return nil
}

func (d *memData) replaceMembers(conv proto.ConvID, ms []proto.Member) {
	// Like the SQLite table, one row per user: a repeated user keeps its
	// first position and its last value.
	var list []proto.Member
	at := make(map[proto.UserID]int)
	for _, m := range ms {
		if i, ok := at[m.ID]; ok {
			list[i] = m
			continue
		}
		at[m.ID] = len(list)
		list = append(list, m)
	}
	d.conv(conv).members = list
}

func (s *Memory) Members(ctx context.Context, conv proto.ConvID) ([]proto.Member, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.d.mu.Unlock()
	c := s.d.convs[conv]
	if c == nil || len(c.members) == 0 {
		return nil, nil
	}
	return slices.Clone(c.members), nil
}

// ---- Messages ----

func copyMessage(m proto.Message) proto.Message {
	if m.Event != nil {
		e := *m.Event
		if e.Subject != nil {
			u := *e.Subject
			e.Subject = &u
		}
		m.Event = &e
	}
	if m.File != nil {
		f := *m.File
		m.File = &f
	}
	if m.Call != nil {
		c := *m.Call
		m.Call = &c
	}
	if m.Reply != nil {
		q := *m.Reply
		m.Reply = &q
	}
	if m.Forwarded != nil {
		f := *m.Forwarded
		m.Forwarded = &f
	}
	m.Mentions = slices.Clone(m.Mentions)
	m.Reactions = copyReactions(m.Reactions)
	return m
}

func (s *Memory) PutMessages(ctx context.Context, ms []proto.Message) (int, error) {
	for _, m := range ms {
		if err := validateMessage(m); err != nil {
			return 0, fmt.Errorf("put messages: %w", err)
		}
	}
	if err := s.lock(); err != nil {
		return 0, err
	}
	defer s.d.mu.Unlock()
	added, _ := s.d.putMessages(ms, false)
	return len(added), nil
}

func (s *Memory) PutLive(ctx context.Context, ms []proto.Message) (int, error) {
	for _, m := range ms {
		if err := validateMessage(m); err != nil {
			return 0, fmt.Errorf("put live messages: %w", err)
		}
	}
	if err := s.lock(); err != nil {
		return 0, err
	}
	defer s.d.mu.Unlock()
	added, _ := s.d.putMessages(ms, true)
	return len(added), nil
}

// putMessages stores the messages not stored yet and folds the change
// entries among them into their targets (fold.go). It returns the
// messages added (the stored copies, not to be changed) and the targets
// as they were before each fold, in the order folded.
func (d *memData) putMessages(ms []proto.Message, live bool) (added []proto.Message, changed []memMsg) {
	base := foldBases(ms, live, func(id proto.ConvID) int64 {
		if c := d.convs[id]; c != nil {
			return c.c.LastSeq
		}
		return 0
	})
	for _, m := range ms {
		c := d.conv(m.Conv)
		i, found := slices.BinarySearchFunc(c.msgs, m.Seq, func(x memMsg, seq int64) int {
			return cmpInt(x.m.Seq, seq)
		})
		if found {
			continue
		}
		mm := memMsg{m: copyMessage(m), fold: base(m)}
		mm.index()
		c.msgs = slices.Insert(c.msgs, i, mm)
		c.noteMessage(m)
		added = append(added, mm.m)
	}
	for _, e := range changeEntries(added) {
		c := d.convs[e.Conv]
		i, found := slices.BinarySearchFunc(c.msgs, e.Target, func(x memMsg, seq int64) int {
			return cmpInt(x.m.Seq, seq)
		})
		if !found || c.msgs[i].fold >= e.Seq || !shown(c.msgs[i].m) {
			continue // not cached, or its state is newer than e
		}
		changed = append(changed, c.msgs[i])
		t := copyMessage(c.msgs[i].m)
		fold(&t, e)
		c.msgs[i] = memMsg{m: t, fold: e.Seq}
		c.msgs[i].index()
		if c.lastSeq == t.Seq {
			cp := copyMessage(t)
			c.c.Last = &cp
		}
	}
	return added, changed
}

func (s *Memory) Hide(ctx context.Context, conv proto.ConvID, seq int64) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.d.mu.Unlock()
	s.d.hide(conv, seq)
	return nil
}

// hide marks (conv, seq) hidden and returns it as it was, if it is stored
// and was not hidden.
func (d *memData) hide(conv proto.ConvID, seq int64) (old memMsg, ok bool) {
	c := d.convs[conv]
	if c == nil {
		return memMsg{}, false
	}
	i, found := slices.BinarySearchFunc(c.msgs, seq, func(x memMsg, seq int64) int {
		return cmpInt(x.m.Seq, seq)
	})
	if !found || c.msgs[i].m.Hidden {
		return memMsg{}, false
	}
	old = c.msgs[i]
	c.msgs[i].m = copyMessage(old.m)
	c.msgs[i].m.Hidden = true
	return old, true
}

// unfold puts back targets as putMessages' changed had them, newest
// change first.
func (d *memData) unfold(changed []memMsg) {
	for _, old := range slices.Backward(changed) {
		c := d.convs[old.m.Conv]
		if c == nil {
			continue
		}
		if i, found := slices.BinarySearchFunc(c.msgs, old.m.Seq, func(x memMsg, seq int64) int {
			return cmpInt(x.m.Seq, seq)
		}); found {
			c.msgs[i] = old
		}
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// page returns copies of msgs[lo:hi] clipped to the slice.
func page(msgs []memMsg, lo, hi int) []proto.Message {
	lo, hi = max(lo, 0), min(hi, len(msgs))
	if lo >= hi {
		return nil
	}
	out := make([]proto.Message, 0, hi-lo)
	for _, mm := range msgs[lo:hi] {
		out = append(out, copyMessage(mm.m))
	}
	return out
}

// seqIndex returns the index of the first stored message with seq ≥ seq.
func seqIndex(msgs []memMsg, seq int64) int {
	i, _ := slices.BinarySearchFunc(msgs, seq, func(x memMsg, seq int64) int {
		return cmpInt(x.m.Seq, seq)
	})
	return i
}

func (s *Memory) Latest(ctx context.Context, conv proto.ConvID, limit int) ([]proto.Message, error) {
	return s.pageOf(conv, func(msgs []memMsg) (int, int) { return len(msgs) - clampLimit(limit), len(msgs) })
}

func (s *Memory) Before(ctx context.Context, conv proto.ConvID, seq int64, limit int) ([]proto.Message, error) {
	return s.pageOf(conv, func(msgs []memMsg) (int, int) {
		i := seqIndex(msgs, seq)
		return i - clampLimit(limit), i
	})
}

func (s *Memory) After(ctx context.Context, conv proto.ConvID, seq int64, limit int) ([]proto.Message, error) {
	return s.pageOf(conv, func(msgs []memMsg) (int, int) {
		i := seqIndex(msgs, seq+1)
		return i, i + clampLimit(limit)
	})
}

// pageOf returns the messages of conv between the bounds picked from its
// sorted messages (none if conv is not cached).
func (s *Memory) pageOf(conv proto.ConvID, bounds func([]memMsg) (lo, hi int)) ([]proto.Message, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.d.mu.Unlock()
	c := s.d.convs[conv]
	if c == nil {
		return nil, nil
	}
	lo, hi := bounds(c.msgs)
	return page(c.msgs, lo, hi), nil
}

func (s *Memory) Search(ctx context.Context, q SearchQuery) ([]proto.Message, error) {
	ts := searchtext.ParseQuery(q.Text)
	if len(ts) == 0 {
		return nil, nil
	}
	limit := clampLimit(q.Limit)
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.d.mu.Unlock()
	var hits []proto.Message
	for id, c := range s.d.convs {
		if q.Conv != 0 && id != q.Conv {
			continue
		}
		for i := range c.msgs {
			mm := &c.msgs[i]
			mm.index()
			if mm.toks != nil && searchtext.Matches(mm.toks, ts) {
				hits = append(hits, mm.m)
			}
		}
	}
	sort.Slice(hits, func(i, j int) bool { return searchOrder(hits[i], hits[j]) })
	hits = hits[:min(len(hits), limit)]
	for i := range hits {
		hits[i] = copyMessage(hits[i])
	}
	return hits, nil
}

// ---- Outbox ----

func (s *Memory) Enqueue(ctx context.Context, it OutboxItem) error {
	if err := validateOutbox(it); err != nil {
		return err
	}
	return s.with(func(d *memData) error { return d.enqueue(it) })
}

// The outbox methods of memData leave the slice they found as it was and
// set d.outbox to a new one: the durable store keeps the old one to undo.

func (d *memData) enqueue(it OutboxItem) error {
	if d.convs[it.Conv] == nil {
		return fmt.Errorf("enqueue %q: conversation %d: %w", it.ClientID, it.Conv, ErrNotFound)
	}
	if d.outboxIndex(it.ClientID) >= 0 {
		return fmt.Errorf("enqueue %q: %w", it.ClientID, ErrExists)
	}
	if it.Created == 0 {
		it.Created = d.opt.now()
	}
	d.outbox = append(slices.Clip(d.outbox), it)
	return nil
}

func (d *memData) outboxIndex(clientID string) int {
	return slices.IndexFunc(d.outbox, func(it OutboxItem) bool { return it.ClientID == clientID })
}

func (s *Memory) Outbox(ctx context.Context) ([]OutboxItem, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.d.mu.Unlock()
	return slices.Clone(s.d.outbox), nil
}

func (s *Memory) RecordAttempt(ctx context.Context, clientID string) error {
	return s.with(func(d *memData) error { return d.recordAttempt(clientID) })
}

func (d *memData) recordAttempt(clientID string) error {
	i := d.outboxIndex(clientID)
	if i < 0 {
		return fmt.Errorf("record attempt %q: %w", clientID, ErrNotFound)
	}
	d.outbox = slices.Clone(d.outbox)
	d.outbox[i].Attempts++
	return nil
}

func (s *Memory) RemoveOutbox(ctx context.Context, clientID string) error {
	return s.with(func(d *memData) error { return d.removeOutbox(clientID) })
}

func (d *memData) removeOutbox(clientID string) error {
	i := d.outboxIndex(clientID)
	if i < 0 {
		return fmt.Errorf("remove outbox %q: %w", clientID, ErrNotFound)
	}
	d.outbox = slices.Delete(slices.Clone(d.outbox), i, i+1)
	return nil
}

func (s *Memory) Ack(ctx context.Context, clientID string, m proto.Message) error {
	if err := validateMessage(m); err != nil {
		return fmt.Errorf("ack %q: %w", clientID, err)
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.d.mu.Unlock()
	s.d.ack(clientID, m)
	return nil
}

// ack stores m and drops the outbox item; it returns m's stored copy if m
// was new.
func (d *memData) ack(clientID string, m proto.Message) (added []proto.Message, changed []memMsg) {
	added, changed = d.putMessages([]proto.Message{m}, true)
	d.removeOutbox(clientID) // already gone: a duplicate ack
	return added, changed
}

// ---- Transfers ----

func (s *Memory) PutTransfer(ctx context.Context, t Transfer) error {
	if err := validateTransfer(t); err != nil {
		return err
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.d.mu.Unlock()
	s.d.putTransfer(t)
	return nil
}

func (d *memData) putTransfer(t Transfer) {
	now := d.opt.now()
	t.Created, t.Updated = now, now
	if old, ok := d.transfers[t.ID]; ok {
		t.Created = old.Created
	}
	d.transfers[t.ID] = t
}

func (s *Memory) Transfer(ctx context.Context, id string) (Transfer, error) {
	if err := s.lock(); err != nil {
		return Transfer{}, err
	}
	defer s.d.mu.Unlock()
	t, ok := s.d.transfers[id]
	if !ok {
		return Transfer{}, fmt.Errorf("transfer %q: %w", id, ErrNotFound)
	}
	return t, nil
}

func (s *Memory) Transfers(ctx context.Context) ([]Transfer, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.d.mu.Unlock()
	out := make([]Transfer, 0, len(s.d.transfers))
	for _, t := range s.d.transfers {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Created != out[j].Created {
			return out[i].Created < out[j].Created
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func (s *Memory) DeleteTransfer(ctx context.Context, id string) error {
	return s.with(func(d *memData) error { return d.deleteTransfer(id) })
}

func (d *memData) deleteTransfer(id string) error {
	if _, ok := d.transfers[id]; !ok {
		return fmt.Errorf("delete transfer %q: %w", id, ErrNotFound)
	}
	delete(d.transfers, id)
	return nil
}
