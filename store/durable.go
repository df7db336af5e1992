package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"parley/net/proto"
)

// The durable store: a Memory made to survive restarts by a write-through
// journal into a key-value backend (kv.go). The browser uses it over
// IndexedDB (account_js.go); its logic is platform-independent and tested
// on every platform with fake backends.
//
// Reads are the Memory's. A write runs under the Memory's lock: the change
// is applied in memory, the records it touched are written in one batch,
// and if the write fails the change is undone in memory and the method
// returns the error. So readers never see a change that is not durable,
// and the working set never drifts from what a reopen would load.
//
// Messages are stored in buckets: one record per conversation and run of
// `bucket` consecutive seqs (64), rewritten whole when a message joins it.
// Reading a cache back is then a few hundred records rather than one per
// message, and a sync's thousand new messages are a few puts.
//
// Bounded history. Per conversation the backend keeps at least the newest
// `keep` messages (2,000) and at most a slack more; when it would hold
// more, one range delete drops the oldest buckets. The working set keeps
// what it has for the rest of the session (the open conversation may be
// scrolled back far), so the invariant is, with floor[c] a bucket start,
// 0 until the first trim of c:
//
//	backend messages of c = { m in memory of c : m.Seq ≥ floor[c] }
//
// Messages below the floor (older history fetched by scrolling back) are
// held in memory only. Trimming never touches a conversation's header, so
// SyncedSeq, ReadSeq and LastSeq survive it: after a reopen, Have still
// says where the sync resumes (nothing is downloaded twice), the messages
// from the floor up to SyncedSeq are all there (the model walked over them
// in memory, and all of memory at or above the floor is stored), and
// paging back below the floor finds the cache incomplete and fetches from
// the server, as for any conversation joined with history. Outbox items,
// the session and transfer records are never trimmed.

// limits bound what the durable store keeps.
type limits struct {
	keep   int   // messages kept per conversation, at least
	bucket int64 // seqs per message record, for a new cache (an old one keeps its own)
}

// browserLimits keep about 600 KB of messages per conversation; a reload
// reads 10,000 cached messages in BenchmarkDurableOpen's time.
var browserLimits = limits{keep: 2000, bucket: 64}

// slack is how many messages over keep a conversation may hold before a
// trim: enough that a trim, which keeps whole buckets, is not needed again
// at the next message.
func (l limits) slack() int { return max(l.keep/4, int(l.bucket)) }

// durable is the Store of the browser build; see the comment above.
type durable struct {
	mem *Memory
	kv  kv
	lim limits

	// Guarded by mem.d.mu.
	floor     map[proto.ConvID]int64 // see the invariant above
	outOrder  map[string]int64       // outbox client ID → its place in the queue
	nextOrder int64
}

var _ Store = (*durable)(nil)

// openDurable loads everything the backend holds into a new working set.
// It takes ownership of k: closed on error, or by the store's Close.
//
// A record that cannot be read fails the open with an error that
// errors.Is ErrCorrupt and names it; nothing is changed or dropped, so the
// records stay in the backend for a fix or a look.
func openDurable(k kv, opt Options, lim limits) (*durable, error) {
	s, err := load(k, opt, lim)
	if err != nil {
		k.Close()
		return nil, err
	}
	return s, nil
}

func load(k kv, opt Options, lim limits) (*durable, error) {
	recs, err := k.Scan("")
	if err != nil {
		return nil, fmt.Errorf("read the local cache: %w", err)
	}
	s := &durable{
		mem: NewMemory(opt), kv: k, lim: lim,
		floor: map[proto.ConvID]int64{}, outOrder: map[string]int64{}, nextOrder: 1,
	}
	d := s.mem.d
	var bad []error
	corrupt := func(key string, err error) { bad = append(bad, fmt.Errorf("record %q: %w: %w", key, ErrCorrupt, err)) }
	hasMeta := false
	// The layout and the conversations first, then what belongs to them.
	for pass := range 2 {
		for _, r := range recs {
			later := strings.HasPrefix(r.Key, prefixMembers) || strings.HasPrefix(r.Key, prefixMsg)
			if later != (pass == 1) {
				continue
			}
			if err := s.loadRecord(r.Key, r.Value); err != nil {
				corrupt(r.Key, err)
			}
			hasMeta = hasMeta || r.Key == keyMeta
		}
	}
	if !hasMeta && len(recs) > 0 {
		corrupt(keyMeta, errors.New("missing, yet the cache holds records"))
	}
	// Two tabs may have queued items under the same order: both are kept.
	slices.SortStableFunc(d.outbox, func(a, b OutboxItem) int {
		return cmp.Or(cmp.Compare(s.outOrder[a.ClientID], s.outOrder[b.ClientID]), strings.Compare(a.ClientID, b.ClientID))
	})
	if len(bad) > 0 {
		if n := len(bad); n > 10 {
			bad = append(bad[:10], fmt.Errorf("and %d more", n-10))
		}
		return nil, fmt.Errorf("read the local cache: %w", errors.Join(bad...))
	}

	var b batch
	if !hasMeta {
		b.put(keyMeta, encode(metaRecord{Format: format, Bucket: s.lim.bucket}))
	}
	// A cache written with a larger bound is trimmed now.
	for _, id := range sortedKeys(d.convs) {
		c := d.convs[id]
		if len(c.msgs) > s.lim.keep+s.lim.slack() {
			floor := s.bucketStart(c.msgs[len(c.msgs)-s.lim.keep].m.Seq)
			b.delRange(msgPrefix(id), bucketKey(id, floor))
			c.msgs = slices.Clone(c.msgs[seqIndex(c.msgs, floor):])
		}
	}
	if len(b.Ops) > 0 {
		if err := k.Write(&b); err != nil {
			return nil, fmt.Errorf("write the local cache: %w", err)
		}
	}
	return s, nil
}

func (s *durable) bucketStart(seq int64) int64 { return seq - seq%s.lim.bucket }

// loadRecord adds one record to the working set.
func (s *durable) loadRecord(key, value string) error {
	d := s.mem.d
	if ok, err := s.loadDraftRecord(key, value); ok {
		return err
	}
	if ok, err := s.loadChangeRecord(key, value); ok {
		return err
	}
	if ok, err := s.loadVoiceRecord(key); ok {
		return err
	}
	family, rest, _ := strings.Cut(key, "/")
	if family == keyMeta || family == keySession {
		family = key // "meta/x" is not the meta record
	}
	switch family {
	case keyMeta:
		var m metaRecord
		if err := json.Unmarshal([]byte(value), &m); err != nil {
			return err
		}
		if m.Format != format {
			return fmt.Errorf("format %d, this version of Parley reads format %d", m.Format, format)
		}
		if m.Bucket <= 0 {
			return fmt.Errorf("bucket size %d", m.Bucket)
		}
		s.lim.bucket = m.Bucket
	case keySession:
		ses, err := decodeSession(value)
		if err != nil {
			return err
		}
		d.session = &ses
	case "conv":
		id, ok := parseHex16(rest)
		c, err := decodeConv(value)
		if err != nil {
			return err
		}
		if !ok || c.ID != proto.ConvID(id) || id <= 0 {
			return fmt.Errorf("holds conversation %d", c.ID)
		}
		mc := &memConv{c: c}
		if c.Last != nil {
			mc.lastSeq = c.Last.Seq
		}
		d.convs[c.ID] = mc
	case "memb":
		id, _ := parseHex16(rest)
		c := d.convs[proto.ConvID(id)]
		if c == nil {
			return errors.New("members of a conversation with no record")
		}
		if err := json.Unmarshal([]byte(value), &c.members); err != nil {
			return err
		}
	case "msg":
		return s.loadBucket(rest, value)
	case "out":
		it, order, err := decodeOutbox(value)
		if err != nil {
			return err
		}
		if it.ClientID != rest || validateOutbox(it) != nil || order <= 0 {
			return fmt.Errorf("holds outbox item %q of conversation %d at %d", it.ClientID, it.Conv, order)
		}
		// Kept even if its conversation is gone: the text is the user's,
		// and sending it tells them what became of it. Sorted by order
		// once all are read.
		d.outbox = append(d.outbox, it)
		s.outOrder[it.ClientID] = order
		s.nextOrder = max(s.nextOrder, order+1)
	case "xfer":
		t, err := decodeTransfer(value)
		if err != nil {
			return err
		}
		if validateTransfer(t) != nil || t.ID != rest {
			return fmt.Errorf("holds transfer %q", t.ID)
		}
		d.transfers[t.ID] = t
	default:
		return errors.New("unknown kind of record")
	}
	return nil
}

// loadBucket adds the messages of the bucket msg/<rest> to the working set.
// Buckets come in key order, so messages are appended in seq order; they
// are indexed for search at the first search.
func (s *durable) loadBucket(rest, value string) error {
	cs, ss, _ := strings.Cut(rest, "/")
	id, ok1 := parseHex16(cs)
	start, ok2 := parseHex16(ss)
	if !ok1 || !ok2 || start%s.lim.bucket != 0 {
		return errors.New("not a bucket key")
	}
	c := s.mem.d.convs[proto.ConvID(id)]
	if c == nil {
		return errors.New("messages of a conversation with no record")
	}
	if value == "" {
		return errors.New("empty bucket")
	}
	n := len(c.msgs)
	for value != "" {
		m, fold, more, err := decodeStored(value)
		if err != nil {
			c.msgs = c.msgs[:n]
			return err
		}
		value = more
		last := int64(0)
		if len(c.msgs) > 0 {
			last = c.msgs[len(c.msgs)-1].m.Seq
		}
		if m.Conv != proto.ConvID(id) || m.Seq < start || m.Seq >= start+s.lim.bucket || m.Seq <= last || validateMessage(m) != nil {
			c.msgs = c.msgs[:n]
			return fmt.Errorf("holds message (conv %d, seq %d)", m.Conv, m.Seq)
		}
		c.msgs = append(c.msgs, memMsg{m: m, fold: fold})
	}
	return nil
}

// Close implements Store. It waits for a write in progress.
func (s *durable) Close() error {
	if err := s.mem.Close(); err != nil {
		return err
	}
	s.mem.d.mu.Lock()
	defer s.mem.d.mu.Unlock()
	return s.kv.Close()
}

// ---- Writing through ----

// change records what one write may touch, noted before it runs: the
// journal writes the new state of each, or undo puts back the old.
type change struct {
	d          *memData
	session    bool
	oldSession *Session
	convs      map[proto.ConvID]convBefore
	members    map[proto.ConvID]bool
	added      []proto.Message // inserted by the write
	changed    []memMsg        // targets folded by the write, as they were
	outbox     bool
	oldOutbox  []OutboxItem
	transfers  map[string]transferBefore
}

type convBefore struct {
	c   *memConv // nil: it did not exist
	was memConv  // its fields before (but msgs: undo removes what was added)
}

type transferBefore struct {
	t  Transfer
	ok bool
}

func (ch *change) noteSession() {
	ch.session, ch.oldSession = true, ch.d.session
}

func (ch *change) noteConv(id proto.ConvID) {
	if _, ok := ch.convs[id]; ok {
		return
	}
	if ch.convs == nil {
		ch.convs = map[proto.ConvID]convBefore{}
	}
	var b convBefore
	if c := ch.d.convs[id]; c != nil {
		b = convBefore{c: c, was: *c}
	}
	ch.convs[id] = b
}

func (ch *change) noteMembers(id proto.ConvID) {
	ch.noteConv(id)
	if ch.members == nil {
		ch.members = map[proto.ConvID]bool{}
	}
	ch.members[id] = true
}

// noteOutbox keeps the outbox slice: memData's outbox methods replace it
// rather than change it.
func (ch *change) noteOutbox() {
	ch.outbox, ch.oldOutbox = true, ch.d.outbox
}

func (ch *change) noteTransfer(id string) {
	if ch.transfers == nil {
		ch.transfers = map[string]transferBefore{}
	}
	t, ok := ch.d.transfers[id]
	ch.transfers[id] = transferBefore{t, ok}
}

// undo restores what was noted.
func (ch *change) undo() {
	d := ch.d
	d.unfold(ch.changed)
	for _, m := range ch.added {
		if c := d.convs[m.Conv]; c != nil {
			if i, found := slices.BinarySearchFunc(c.msgs, m.Seq, func(x memMsg, seq int64) int {
				return cmpInt(x.m.Seq, seq)
			}); found {
				c.msgs = slices.Delete(c.msgs, i, i+1)
			}
		}
	}
	for id, b := range ch.convs {
		if b.c == nil {
			delete(d.convs, id)
			continue
		}
		msgs := b.c.msgs
		*b.c = b.was
		b.c.msgs = msgs
		d.convs[id] = b.c
	}
	if ch.session {
		d.session = ch.oldSession
	}
	if ch.outbox {
		d.outbox = ch.oldOutbox
	}
	for id, b := range ch.transfers {
		if b.ok {
			d.transfers[id] = b.t
		} else {
			delete(d.transfers, id)
		}
	}
}

// write applies a change to the working set and the backend, or to
// neither. apply notes what it will touch, then changes memory through
// memData; its error (a missing item, say) is returned as it is.
func (s *durable) write(op string, apply func(ch *change) error) error {
	if err := s.mem.lock(); err != nil {
		return err
	}
	d := s.mem.d
	defer d.mu.Unlock()
	s.mem.mu.Lock()
	closed := s.mem.closed // by a Close between lock's check and its lock
	s.mem.mu.Unlock()
	if closed {
		return ErrClosed
	}
	ch := &change{d: d}
	if err := apply(ch); err != nil {
		ch.undo()
		return err
	}
	j := s.journal(ch)
	if len(j.b.Ops) > 0 {
		if err := s.kv.Write(&j.b); err != nil {
			ch.undo()
			return fmt.Errorf("%s: write the local cache: %w", op, err)
		}
	}
	j.commit(s)
	return nil
}

// journal is the batch for a change, and the bookkeeping to adopt once it
// is written.
type journal struct {
	b         batch
	floors    map[proto.ConvID]int64 // raised, or deleted (-1)
	orders    map[string]int64       // outbox items added (order) or removed (0)
	nextOrder int64
}

func (j *journal) commit(s *durable) {
	for id, f := range j.floors {
		if f < 0 {
			delete(s.floor, id)
		} else {
			s.floor[id] = f
		}
	}
	for id, o := range j.orders {
		if o == 0 {
			delete(s.outOrder, id)
		} else {
			s.outOrder[id] = o
		}
	}
	s.nextOrder = j.nextOrder
}

// journal builds the batch that makes the backend match memory for what ch
// noted.
func (s *durable) journal(ch *change) *journal {
	d := ch.d
	j := &journal{floors: map[proto.ConvID]int64{}, orders: map[string]int64{}, nextOrder: s.nextOrder}
	if ch.session {
		switch {
		case d.session != nil:
			j.b.put(keySession, encodeSession(*d.session))
			j.b.Strict = true
		case ch.oldSession != nil:
			j.b.del(keySession)
		}
	}
	for _, id := range sortedKeys(ch.convs) {
		before, c := ch.convs[id], d.convs[id]
		switch {
		case c == nil && before.c != nil: // deleted, with all that is its
			j.b.del(convKey(id))
			j.b.del(membersKey(id))
			j.b.delRange(msgPrefix(id), prefixEnd(msgPrefix(id)))
			j.floors[id] = -1
		case c == nil:
		default:
			if before.c == nil || !sameHeader(before.was.c, c.c) {
				j.b.put(convKey(id), encodeConv(c.c))
			}
			if ch.members[id] {
				if len(c.members) > 0 {
					j.b.put(membersKey(id), encode(c.members))
				} else if before.c != nil && len(before.was.members) > 0 {
					j.b.del(membersKey(id))
				}
			}
		}
	}
	touched := slices.Clone(ch.added)
	for _, mm := range ch.changed {
		touched = append(touched, mm.m)
	}
	s.journalMessages(j, d, touched)
	if ch.outbox {
		s.journalOutbox(j, ch.oldOutbox, d.outbox)
	}
	for _, id := range sortedKeys(ch.transfers) {
		if t, ok := d.transfers[id]; ok {
			j.b.put(transferKey(id), encodeTransfer(t))
		} else if ch.transfers[id].ok {
			j.b.del(transferKey(id))
		}
	}
	return j
}

// journalMessages rewrites the buckets that gained (or changed) messages at or above
// their conversation's floor, raising the floor first where the backend
// would hold too many.
func (s *durable) journalMessages(j *journal, d *memData, added []proto.Message) {
	buckets := map[proto.ConvID][]int64{}
	for _, m := range added {
		buckets[m.Conv] = append(buckets[m.Conv], s.bucketStart(m.Seq))
	}
	for _, id := range sortedKeys(buckets) {
		c := d.convs[id]
		floor := s.floor[id]
		if n := len(c.msgs) - seqIndex(c.msgs, floor); n > s.lim.keep+s.lim.slack() {
			floor = s.bucketStart(c.msgs[len(c.msgs)-s.lim.keep].m.Seq)
			j.b.delRange(msgPrefix(id), bucketKey(id, floor))
			j.floors[id] = floor
		}
		starts := buckets[id]
		slices.Sort(starts)
		for _, start := range slices.Compact(starts) {
			if start >= floor {
				j.b.put(bucketKey(id, start), s.encodeBucket(c.msgs, start))
			}
		}
	}
}

// encodeBucket encodes the messages of the bucket that starts at start.
func (s *durable) encodeBucket(msgs []memMsg, start int64) string {
	lo, hi := seqIndex(msgs, start), seqIndex(msgs, start+s.lim.bucket)
	b := make([]byte, 0, 256*(hi-lo))
	for _, mm := range msgs[lo:hi] {
		b = appendStored(b, mm.m, mm.fold)
	}
	return string(b)
}

// sameOutboxItem reports whether a and b hold the same.
func sameOutboxItem(a, b OutboxItem) bool {
	return a.ClientID == b.ClientID && a.Conv == b.Conv && a.Text == b.Text && a.ReplyTo == b.ReplyTo &&
		slices.Equal(a.Mentions, b.Mentions) && a.Created == b.Created && a.Attempts == b.Attempts
}

// journalOutbox writes the items that are new or changed and deletes the
// ones gone. A new item gets the next order, so the queue reloads in the
// order it was built. Items are keyed by client ID, not by order: a second
// tab on the same account, with orders of its own, cannot overwrite them.
func (s *durable) journalOutbox(j *journal, old, cur []OutboxItem) {
	was := make(map[string]OutboxItem, len(old))
	for _, it := range old {
		was[it.ClientID] = it
	}
	kept := make(map[string]bool, len(cur))
	for _, it := range cur {
		kept[it.ClientID] = true
		if w, ok := was[it.ClientID]; ok && sameOutboxItem(w, it) {
			continue
		}
		order, ok := s.outOrder[it.ClientID]
		if !ok {
			order = j.nextOrder
			j.nextOrder++
			j.orders[it.ClientID] = order
		}
		j.b.put(outboxKey(it.ClientID), encodeOutbox(it, order))
		j.b.Strict = true
	}
	for _, it := range old {
		if !kept[it.ClientID] {
			j.b.del(outboxKey(it.ClientID))
			j.orders[it.ClientID] = 0
		}
	}
}

// sameHeader reports whether a conversation header is unchanged. Last is
// compared by pointer: memory replaces it, never changes it in place.
func sameHeader(a, b Conversation) bool {
	if (a.Peer == nil) != (b.Peer == nil) || a.Peer != nil && *a.Peer != *b.Peer {
		return false
	}
	a.Peer, b.Peer = nil, nil
	return a == b
}

func sortedKeys[K interface{ ~int64 | ~string }, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ---- Store methods: reads are the working set's ----

func (s *durable) Session(ctx context.Context) (Session, error) { return s.mem.Session(ctx) }

func (s *durable) Conversations(ctx context.Context) ([]Conversation, error) {
	return s.mem.Conversations(ctx)
}

func (s *durable) Conversation(ctx context.Context, id proto.ConvID) (Conversation, error) {
	return s.mem.Conversation(ctx, id)
}

func (s *durable) Have(ctx context.Context) (map[proto.ConvID]int64, error) { return s.mem.Have(ctx) }

func (s *durable) Members(ctx context.Context, conv proto.ConvID) ([]proto.Member, error) {
	return s.mem.Members(ctx, conv)
}

func (s *durable) Latest(ctx context.Context, conv proto.ConvID, limit int) ([]proto.Message, error) {
	return s.mem.Latest(ctx, conv, limit)
}

func (s *durable) Before(ctx context.Context, conv proto.ConvID, seq int64, limit int) ([]proto.Message, error) {
	return s.mem.Before(ctx, conv, seq, limit)
}

func (s *durable) After(ctx context.Context, conv proto.ConvID, seq int64, limit int) ([]proto.Message, error) {
	return s.mem.After(ctx, conv, seq, limit)
}

func (s *durable) Search(ctx context.Context, q SearchQuery) ([]proto.Message, error) {
	return s.mem.Search(ctx, q)
}

func (s *durable) Outbox(ctx context.Context) ([]OutboxItem, error) { return s.mem.Outbox(ctx) }

func (s *durable) Transfer(ctx context.Context, id string) (Transfer, error) {
	return s.mem.Transfer(ctx, id)
}

func (s *durable) Transfers(ctx context.Context) ([]Transfer, error) { return s.mem.Transfers(ctx) }

// ---- Store methods: writes go through ----

func (s *durable) SaveSession(ctx context.Context, ses Session) error {
	return s.write("save session", func(ch *change) error {
		ch.noteSession()
		ch.d.session = &ses
		return nil
	})
}

func (s *durable) ClearSession(ctx context.Context) error {
	return s.write("clear session", func(ch *change) error {
		ch.noteSession()
		ch.d.session = nil
		return nil
	})
}

func (s *durable) PutConversations(ctx context.Context, cs ...proto.Conversation) error {
	if err := validateConversations(cs); err != nil {
		return err
	}
	return s.write("put conversations", func(ch *change) error {
		for _, pc := range cs {
			ch.noteConv(pc.ID)
		}
		ch.d.putConversations(cs)
		return nil
	})
}

func (s *durable) SetConvSettings(ctx context.Context, cs ...proto.ConvSettings) error {
	return s.write("set conversation settings", func(ch *change) error {
		for _, set := range cs {
			ch.noteConv(set.Conv)
		}
		ch.d.setConvSettings(cs)
		return nil
	})
}

func (s *durable) DeleteConversation(ctx context.Context, id proto.ConvID) error {
	return s.write("delete conversation", func(ch *change) error {
		ch.noteConv(id)
		ch.noteOutbox()
		return ch.d.deleteConversation(id)
	})
}

func (s *durable) MarkRead(ctx context.Context, id proto.ConvID, seq int64) error {
	return s.write("mark read", func(ch *change) error {
		ch.noteConv(id)
		return ch.d.markRead(id, seq)
	})
}

func (s *durable) SetSynced(ctx context.Context, id proto.ConvID, seq int64) error {
	return s.write("set synced", func(ch *change) error {
		ch.noteConv(id)
		return ch.d.setSynced(id, seq)
	})
}

func (s *durable) ReplaceMembers(ctx context.Context, conv proto.ConvID, ms []proto.Member) error {
	if conv <= 0 {
		return fmt.Errorf("replace members of %d: %w", conv, ErrInvalid)
	}
	return s.write("replace members", func(ch *change) error {
		ch.noteMembers(conv)
		ch.d.replaceMembers(conv, ms)
		return nil
	})
}

func (s *durable) PutMessages(ctx context.Context, ms []proto.Message) (int, error) {
	return s.putMessages(ms, false)
}

func (s *durable) PutLive(ctx context.Context, ms []proto.Message) (int, error) {
	return s.putMessages(ms, true)
}

func (s *durable) putMessages(ms []proto.Message, live bool) (int, error) {
	for _, m := range ms {
		if err := validateMessage(m); err != nil {
			return 0, fmt.Errorf("put messages: %w", err)
		}
	}
	added := 0
	err := s.write("put messages", func(ch *change) error {
		for _, m := range ms {
			ch.noteConv(m.Conv)
		}
		ch.added, ch.changed = ch.d.putMessages(ms, live)
		added = len(ch.added)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return added, nil
}

func (s *durable) Hide(ctx context.Context, conv proto.ConvID, seq int64) error {
	return s.write("hide", func(ch *change) error {
		ch.noteConv(conv)
		if old, ok := ch.d.hide(conv, seq); ok {
			ch.changed = append(ch.changed, old)
		}
		return nil
	})
}

func (s *durable) Enqueue(ctx context.Context, it OutboxItem) error {
	if err := validateOutbox(it); err != nil {
		return err
	}
	return s.write("enqueue", func(ch *change) error {
		ch.noteOutbox()
		return ch.d.enqueue(it)
	})
}

func (s *durable) RecordAttempt(ctx context.Context, clientID string) error {
	return s.write("record attempt", func(ch *change) error {
		ch.noteOutbox()
		return ch.d.recordAttempt(clientID)
	})
}

func (s *durable) RemoveOutbox(ctx context.Context, clientID string) error {
	return s.write("remove outbox", func(ch *change) error {
		ch.noteOutbox()
		return ch.d.removeOutbox(clientID)
	})
}

func (s *durable) Ack(ctx context.Context, clientID string, m proto.Message) error {
	if err := validateMessage(m); err != nil {
		return fmt.Errorf("ack %q: %w", clientID, err)
	}
	return s.write("ack", func(ch *change) error {
		ch.noteConv(m.Conv)
		ch.noteOutbox()
		ch.added, ch.changed = ch.d.ack(clientID, m)
		return nil
	})
}

func (s *durable) PutTransfer(ctx context.Context, t Transfer) error {
	if err := validateTransfer(t); err != nil {
		return err
	}
	return s.write("put transfer", func(ch *change) error {
		ch.noteTransfer(t.ID)
		ch.d.putTransfer(t)
		return nil
	})
}

func (s *durable) DeleteTransfer(ctx context.Context, id string) error {
	return s.write("delete transfer", func(ch *change) error {
		ch.noteTransfer(id)
		return ch.d.deleteTransfer(id)
	})
}
