package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/net/proto"
	"parley/searchtext"
)

// The suite below runs against every implementation: memory_test.go and
// sqlite_test.go each call runSuite with their opener.

// opener opens the store of a named account. Opening an account again after
// closing it gives back the data written before; another name is another
// account with nothing in common. Each test gets a fresh opener.
type opener func(t *testing.T, account string, opt Options) Store

type backend func(t *testing.T) opener

func runSuite(t *testing.T, newOpener backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open opener)
	}{
		{"SessionSavedClearedAndKeptAcrossReopen", testSession},
		{"SearchFindsChineseSubstringsAndEnglishWordsInOwnAccountOnly", testSearchAcrossAccounts},
		{"SearchSemantics", testSearchSemantics},
		{"SearchFindsEverySubstringOfChineseText", testSearchEverySubstring},
		{"SearchNewestFirstWithinLimitAndConversation", testSearchOrder},
		{"HundredThousandMessagesOpenLatestPageAndPageBackwards", testPagingLargeConversation},
		{"MessagesOfTheSameMillisecondAllKept", testSameMillisecond},
		{"PagingBeforeAndAfterAroundGaps", testPagingGaps},
		{"MessagesIdempotentByConvAndSeq", testIdempotentMessages},
		{"SystemMessagesKeepTheirEvent", testSystemMessages},
		{"UnreadIsLastSeqMinusReadSeq", testUnread},
		{"ConversationUpsertKeepsLocalFields", testConversationUpsert},
		{"ConversationsOrderedByActivity", testConversationOrder},
		{"SyncedSeqAndHave", testHave},
		{"MembersReplacedAndReadBack", testMembers},
		{"OutboxSurvivesReopenInOrder", testOutboxReopen},
		{"OutboxAttemptsRemoveAndErrors", testOutboxOps},
		{"AckStoresMessageAndDropsOutboxItem", testAck},
		{"DeleteConversationRemovesEverythingOfIt", testDeleteConversation},
		{"TransfersCRUD", testTransfers},
		{"DraftsAndTheLastOpenConversationKeptAcrossReopen", testDrafts},
		{"InvalidArgumentsRejected", testInvalid},
		{"ClosedStoreRefusesWork", testClosed},
		{"ConcurrentWritersAndReaders", testConcurrent},
		{"ChangeEntriesFoldIntoTargetsAndIndex", testFoldChanges},
		{"FoldingIsIdempotentAndOrderSafe", testFoldIdempotentAndOrderSafe},
		{"HideMarksAStoredMessage", testHide},
		{"PendingChangesAndHiddenAfterKeptAcrossReopen", testPendingChanges},
		{"PlayedVoiceMessagesAndVoiceAndCaptionedUploadsKeptAcrossReopen", testVoicePlayed},
		{"PictureAndSettingsKeptAcrossReopen", testConvSettings},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newOpener(t))
		})
	}
}

// ---- helpers ----

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.UnixMilli(1_700_000_000_000)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const t0 = 1_700_000_000_000 // message times start here (Unix ms)

// msg returns text message seq of conv, sent seq seconds after t0.
func msg(conv proto.ConvID, seq int64, text string) proto.Message {
	return proto.Message{
		Conv: conv, Seq: seq, ClientID: fmt.Sprintf("c%d-%d", conv, seq),
		Sender: 4821, SenderName: "Li Hua", Time: t0 + seq*1000,
		Kind: proto.MsgText, Text: text,
	}
}

// numbered returns messages from..to of conv with their seq as text.
func numbered(conv proto.ConvID, from, to int64) []proto.Message {
	ms := make([]proto.Message, 0, to-from+1)
	for seq := from; seq <= to; seq++ {
		ms = append(ms, msg(conv, seq, fmt.Sprintf("message %d", seq)))
	}
	return ms
}

func seqs(ms []proto.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}

func seqRange(from, to int64) []int64 {
	var out []int64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func put(t *testing.T, s Store, ms ...proto.Message) int {
	t.Helper()
	n, err := s.PutMessages(context.Background(), ms)
	if err != nil {
		t.Fatalf("PutMessages: %v", err)
	}
	return n
}

func conv(t *testing.T, s Store, id proto.ConvID) Conversation {
	t.Helper()
	c, err := s.Conversation(context.Background(), id)
	if err != nil {
		t.Fatalf("Conversation(%d): %v", id, err)
	}
	return c
}

func search(t *testing.T, s Store, q SearchQuery) []proto.Message {
	t.Helper()
	ms, err := s.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return ms
}

func texts(ms []proto.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Text
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

// ---- tests ----

func testSession(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	_, err := s.Session(ctx)
	wantErr(t, err, ErrNotFound)

	want := Session{Server: "https://chat.example.org", User: proto.User{ID: 4821, Name: "李华"}, Token: "tok-1"}
	must(t, s.SaveSession(ctx, want))
	must(t, s.Close())

	s = open(t, "a", Options{})
	got, err := s.Session(ctx)
	must(t, err)
	if got != want {
		t.Fatalf("after reopen Session = %+v, want %+v", got, want)
	}
	want.Token = "tok-2"
	must(t, s.SaveSession(ctx, want))
	if got, _ := s.Session(ctx); got != want {
		t.Fatalf("after second save Session = %+v, want %+v", got, want)
	}
	must(t, s.ClearSession(ctx))
	_, err = s.Session(ctx)
	wantErr(t, err, ErrNotFound)
	must(t, s.ClearSession(ctx)) // clearing nothing is fine
}

func testSearchAcrossAccounts(t *testing.T, open opener) {
	alice := open(t, "alice", Options{})
	bob := open(t, "bob", Options{})
	put(t, alice, msg(1, 1, "大家你好啊"), msg(1, 2, "say hello world"), msg(1, 3, "再见"))
	put(t, bob, msg(1, 1, "bob says nothing"))

	if got := texts(search(t, alice, SearchQuery{Text: "你好"})); !slices.Equal(got, []string{"大家你好啊"}) {
		t.Errorf(`alice search "你好" = %q, want ["大家你好啊"]`, got)
	}
	if got := texts(search(t, alice, SearchQuery{Text: "hello"})); !slices.Equal(got, []string{"say hello world"}) {
		t.Errorf(`alice search "hello" = %q, want ["say hello world"]`, got)
	}
	for _, q := range []string{"你好", "hello"} {
		if got := search(t, bob, SearchQuery{Text: q}); len(got) != 0 {
			t.Errorf("bob search %q found alice's %q", q, texts(got))
		}
	}
}

func testSearchSemantics(t *testing.T, open opener) {
	s := open(t, "a", Options{})
	docs := []string{
		"大家你好啊",           // 1
		"say hello world", // 2
		"Hello, World!",   // 3
		"今天天气很好，我们去公园吧",            // 4
		"会议改到明天下午三点",               // 5
		"helloworld",               // 6
		"東京でコーヒーを飲みました",            // 7
		"한국어 메시지입니다",               // 8
		"给你发了report.pdf文件",         // 9
		"你 好",                      // 10: not the substring 你好
		"Ünïcode Straße",           // 11
		"",                         // 12: no text (a system message, say)
		"v2 发布了 version 2.0.1 正式版", // 13
	}
	var ms []proto.Message
	for i, d := range docs {
		ms = append(ms, msg(1, int64(i+1), d))
	}
	put(t, s, ms...)

	tests := []struct {
		q    string
		want []int64 // seqs, newest first
	}{
		{"你好", []int64{1}},             // 2-char CJK substring
		{"大家你好啊", []int64{1}},          // the whole run
		{"家你好", []int64{1}},            // 3-char substring across word boundaries
		{"你", []int64{10, 9, 1}},       // 1 char: start, middle and end of runs
		{"好", []int64{10, 4, 1}},       // 1 char at the end of a run
		{"天天气", []int64{4}},            //
		{"公园", []int64{4}},             //
		{"明天下午", []int64{5}},           //
		{"下午 会议", []int64{5}},          // terms in any order
		{"你好 hello", nil},              // every term must match
		{"hello", []int64{6, 3, 2}},    // word prefix, any case
		{"HELLO", []int64{6, 3, 2}},    //
		{"hel", []int64{6, 3, 2}},      // prefix of a word
		{"world", []int64{3, 2}},       // not inside "helloworld"
		{"ello", nil},                  // not mid-word
		{"hello world", []int64{3, 2}}, // both words
		{"コーヒー", []int64{7}},           // katakana with ー
		{"東京", []int64{7}},             //
		{"飲み", []int64{7}},             // kanji + hiragana
		{"메시지", []int64{8}},            // Hangul substring
		{"report", []int64{9}},         // Latin inside Chinese
		{"report.pdf", []int64{9}},     //
		{"发了report", []int64{9}},       //
		{"文件", []int64{9}},             //
		{"straße", []int64{11}},        //
		{"ünï", []int64{11}},           //
		{"2.0", []int64{13}},           // digits
		{"发布", []int64{13}},            //
		{"", nil},                      // nothing to search for
		{"，。！", nil},                   // punctuation only
		// Query syntax is plain text: quotes and * separate words, and
		// "OR" is one more word that must match; no message has it.
		{"\"你好\" OR hello*", nil},
		{"hello*", []int64{6, 3, 2}},
	}

	for _, tc := range tests {
		got := seqs(search(t, s, SearchQuery{Text: tc.q}))
		if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("search %q = seqs %v, want %v", tc.q, got, tc.want)
		}
	}
}

func testSearchOrder(t *testing.T, open opener) {
	s := open(t, "a", Options{})
	// Two conversations; conversation 2's messages are cached first but
	// are newer; one message of conversation 1 was fetched later by paging
	// back but is oldest.
	put(t, s, msg(2, 2, "hello two-2"), msg(2, 3, "hello two-3"))
	put(t, s, msg(1, 5, "hello one-5"), msg(1, 6, "hello one-6"))
	put(t, s, msg(1, 1, "hello one-1"))
	put(t, s, msg(3, 7, "hello three-7"))

	got := search(t, s, SearchQuery{Text: "hello"})
	want := []string{"hello three-7", "hello one-6", "hello one-5", "hello two-3", "hello two-2", "hello one-1"}
	if !slices.Equal(texts(got), want) {
		t.Fatalf("search order = %q, want %q", texts(got), want)
	}
	if got := texts(search(t, s, SearchQuery{Text: "hello", Limit: 2})); !slices.Equal(got, want[:2]) {
		t.Errorf("limit 2 = %q, want %q", got, want[:2])
	}
	if got := texts(search(t, s, SearchQuery{Text: "hello", Conv: 1})); !slices.Equal(got, []string{"hello one-6", "hello one-5", "hello one-1"}) {
		t.Errorf("conv 1 only = %q", got)
	}
	if got := search(t, s, SearchQuery{Text: "hello", Conv: 99}); len(got) != 0 {
		t.Errorf("unknown conversation = %q, want nothing", texts(got))
	}
	if !reflect.DeepEqual(got[0], msg(3, 7, "hello three-7")) {
		t.Errorf("search result = %+v, want the stored message", got[0])
	}
}

// largeConversation is the size of the paging test: 100,000 messages, or
// 10,000 under the race detector, where storing 100,000 in SQLite takes
// most of a minute. The benchmarks always use 100,000.
func largeConversation() int64 {
	if raceDetector {
		return 10_000
	}
	return 100_000
}

func testPagingLargeConversation(t *testing.T, open opener) {
	const batch, pageSize = 10_000, 500
	n := largeConversation()
	ctx := context.Background()
	s := open(t, "a", Options{})
	for from := int64(1); from <= n; from += batch {
		if added := put(t, s, numbered(7, from, min(n, from+batch-1))...); added != int(min(n-from+1, batch)) {
			t.Fatalf("batch from %d added %d, want %d", from, added, batch)
		}
	}

	latest, err := s.Latest(ctx, 7, 50)
	must(t, err)
	if !slices.Equal(seqs(latest), seqRange(n-49, n)) {
		t.Fatalf("latest page = seqs %d..%d (%d), want %d..%d", latest[0].Seq, latest[len(latest)-1].Seq, len(latest), n-49, n)
	}
	if latest[49].Text != fmt.Sprintf("message %d", n) {
		t.Fatalf("newest text = %q", latest[49].Text)
	}

	// Scroll back to the very first message.
	seen := len(latest)
	oldest := latest[0].Seq
	for pages := 0; ; pages++ {
		if pages > int(n/pageSize)+1 {
			t.Fatal("paging backwards does not end")
		}
		page, err := s.Before(ctx, 7, oldest, pageSize)
		must(t, err)
		if len(page) == 0 {
			break
		}
		want := seqRange(max(1, oldest-pageSize), oldest-1)
		if !slices.Equal(seqs(page), want) {
			t.Fatalf("page before %d = seqs %d..%d, want %d..%d", oldest, page[0].Seq, page[len(page)-1].Seq, want[0], want[len(want)-1])
		}
		seen += len(page)
		oldest = page[0].Seq
	}
	if int64(seen) != n || oldest != 1 {
		t.Fatalf("paged through %d messages down to seq %d, want %d down to 1", seen, oldest, n)
	}

	// And forward again from the middle.
	mid := n / 2
	after, err := s.After(ctx, 7, mid, 3)
	must(t, err)
	if !slices.Equal(seqs(after), []int64{mid + 1, mid + 2, mid + 3}) {
		t.Fatalf("after %d = %v", mid, seqs(after))
	}
	if c := conv(t, s, 7); c.LastSeq != n || c.Unread != n || c.Last.Seq != n {
		t.Fatalf("conversation: LastSeq %d Unread %d Last %d, want %d", c.LastSeq, c.Unread, c.Last.Seq, n)
	}
}

func testPagingGaps(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	put(t, s, numbered(1, 1, 5)...)
	put(t, s, numbered(1, 20, 22)...)
	put(t, s, numbered(2, 1, 100)...) // another conversation never leaks in

	tests := []struct {
		name string
		get  func() ([]proto.Message, error)
		want []int64
	}{
		{"latest 4", func() ([]proto.Message, error) { return s.Latest(ctx, 1, 4) }, []int64{5, 20, 21, 22}},
		{"latest default", func() ([]proto.Message, error) { return s.Latest(ctx, 1, 0) }, []int64{1, 2, 3, 4, 5, 20, 21, 22}},
		{"before 20", func() ([]proto.Message, error) { return s.Before(ctx, 1, 20, 2) }, []int64{4, 5}},
		{"before 21", func() ([]proto.Message, error) { return s.Before(ctx, 1, 21, 3) }, []int64{4, 5, 20}},
		{"before 1", func() ([]proto.Message, error) { return s.Before(ctx, 1, 1, 3) }, nil},
		{"before 1000", func() ([]proto.Message, error) { return s.Before(ctx, 1, 1000, 2) }, []int64{21, 22}},
		{"after 0", func() ([]proto.Message, error) { return s.After(ctx, 1, 0, 2) }, []int64{1, 2}},
		{"after 4", func() ([]proto.Message, error) { return s.After(ctx, 1, 4, 3) }, []int64{5, 20, 21}},
		{"after 10", func() ([]proto.Message, error) { return s.After(ctx, 1, 10, 50) }, []int64{20, 21, 22}},
		{"after 22", func() ([]proto.Message, error) { return s.After(ctx, 1, 22, 50) }, nil},
		{"unknown conversation", func() ([]proto.Message, error) { return s.Latest(ctx, 99, 50) }, nil},
	}
	for _, tc := range tests {
		got, err := tc.get()
		must(t, err)
		if !slices.Equal(seqs(got), tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, seqs(got), tc.want)
		}
	}
	big, err := s.Latest(ctx, 2, MaxLimit+500)
	must(t, err)
	if len(big) != 100 {
		t.Errorf("latest with a huge limit = %d messages, want all 100", len(big))
	}
}

func testIdempotentMessages(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	if added := put(t, s, numbered(1, 1, 3)...); added != 3 {
		t.Fatalf("first put added %d, want 3", added)
	}
	// A re-put (a sync overlapping a push, a retried ack) adds only what is new.
	again := append(numbered(1, 1, 3), msg(1, 4, "four"), msg(1, 4, "four"))
	if added := put(t, s, again...); added != 1 {
		t.Fatalf("re-put added %d, want 1", added)
	}
	// The first copy wins: stored messages are not rewritten.
	changed := msg(1, 2, "rewritten")
	if added := put(t, s, changed); added != 0 {
		t.Fatalf("changed re-put added %d, want 0", added)
	}
	got, err := s.Latest(ctx, 1, 50)
	must(t, err)
	if !slices.Equal(seqs(got), []int64{1, 2, 3, 4}) || got[1].Text != "message 2" {
		t.Fatalf("messages = %v %q, want 1..4 with the first text", seqs(got), texts(got))
	}
	if c := conv(t, s, 1); c.Unread != 4 {
		t.Fatalf("unread after re-puts = %d, want 4", c.Unread)
	}
	must(t, s.MarkRead(ctx, 1, 2))
	put(t, s, numbered(1, 1, 4)...)
	if c := conv(t, s, 1); c.Unread != 2 {
		t.Fatalf("unread after read 2 and re-put = %d, want 2", c.Unread)
	}
	if got := search(t, s, SearchQuery{Text: "four"}); len(got) != 1 {
		t.Fatalf("search finds %d copies of a re-put message, want 1", len(got))
	}
}

func testSystemMessages(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	sys := proto.Message{
		Conv: 3, Seq: 1, Sender: 1, SenderName: "王芳", Time: t0, Kind: proto.MsgSystem,
		Event: &proto.Event{Type: proto.EventInvited, Actor: proto.User{ID: 1, Name: "王芳"}, Subject: &proto.User{ID: 2, Name: "李华"}},
	}
	put(t, s, sys)
	got, err := s.Latest(ctx, 3, 10)
	must(t, err)
	if len(got) != 1 || got[0].Event == nil || *got[0].Event.Subject != *sys.Event.Subject || got[0].Event.Type != proto.EventInvited {
		t.Fatalf("system message = %+v", got)
	}
	c := conv(t, s, 3)
	if c.Last == nil || c.Last.Event == nil || c.Last.Event.Actor.Name != "王芳" {
		t.Fatalf("conversation Last = %+v, want the system message", c.Last)
	}
	// Returned values are copies: changing them changes nothing stored.
	got[0].Event.Actor.Name = "changed"
	again, _ := s.Latest(ctx, 3, 10)
	if again[0].Event.Actor.Name != "王芳" {
		t.Fatal("changing a returned message changed the store")
	}
}

func testUnread(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "Study Group", LastSeq: 10}))
	if c := conv(t, s, 1); c.Unread != 10 || c.LastSeq != 10 {
		t.Fatalf("server says 10: unread %d last %d", c.Unread, c.LastSeq)
	}
	put(t, s, numbered(1, 1, 12)...) // stored beyond the summary
	if c := conv(t, s, 1); c.Unread != 12 || c.LastSeq != 12 {
		t.Fatalf("stored 12: unread %d last %d", c.Unread, c.LastSeq)
	}
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "Study Group", LastSeq: 11}))
	if c := conv(t, s, 1); c.LastSeq != 12 {
		t.Fatalf("an older summary moved LastSeq back to %d", c.LastSeq)
	}
	must(t, s.MarkRead(ctx, 1, 9))
	must(t, s.MarkRead(ctx, 1, 5)) // never back
	if c := conv(t, s, 1); c.Unread != 3 || c.ReadSeq != 9 {
		t.Fatalf("read 9 then 5: unread %d read %d, want 3 and 9", c.Unread, c.ReadSeq)
	}
	must(t, s.MarkRead(ctx, 1, 50)) // past the end
	if c := conv(t, s, 1); c.Unread != 0 {
		t.Fatalf("read past the end: unread %d", c.Unread)
	}
	wantErr(t, s.MarkRead(ctx, 99, 1), ErrNotFound)
}

func testConversationUpsert(t *testing.T, open opener) {
	ctx := context.Background()
	clk := newClock()
	s := open(t, "a", Options{Now: clk.Now})
	created := clk.Now().UnixMilli()

	// A message before any summary leaves a placeholder.
	put(t, s, msg(5, 1, "first"))
	c := conv(t, s, 5)
	if c.Kind != "" || c.Name != "" || c.Created != created || c.Last == nil || c.Last.Text != "first" {
		t.Fatalf("placeholder = %+v", c)
	}
	must(t, s.MarkRead(ctx, 5, 1))
	must(t, s.SetSynced(ctx, 5, 1))

	clk.Advance(time.Hour)
	peer := &proto.User{ID: 77, Name: "王芳"}
	summaryLast := msg(5, 3, "third, from the summary")
	must(t, s.PutConversations(ctx, proto.Conversation{
		ID: 5, Kind: proto.KindDirect, Name: "王芳", Peer: peer, Members: 2, LastSeq: 3, Last: &summaryLast,
	}))
	c = conv(t, s, 5)
	want := Conversation{
		ID: 5, Kind: proto.KindDirect, Name: "王芳", Peer: peer, Members: 2,
		LastSeq: 3, ReadSeq: 1, SyncedSeq: 1, Unread: 2, Last: &summaryLast, Created: created,
	}
	if !equalConv(c, want) {
		t.Fatalf("after summary:\n got %+v\nwant %+v", c, want)
	}
	// The summary's Last is a preview only, not a cached message.
	if ms, _ := s.Latest(ctx, 5, 10); !slices.Equal(seqs(ms), []int64{1}) {
		t.Fatalf("messages = %v, want only the stored [1]", seqs(ms))
	}
	// An older summary does not roll Last back; a stored newer message wins.
	older := msg(5, 2, "second")
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 5, Kind: proto.KindDirect, Name: "王芳 (renamed)", Peer: peer, Members: 2, LastSeq: 2, Last: &older}))
	if c := conv(t, s, 5); c.Last.Seq != 3 || c.Name != "王芳 (renamed)" {
		t.Fatalf("older summary: Last %d name %q", c.Last.Seq, c.Name)
	}
	put(t, s, msg(5, 4, "fourth"))
	if c := conv(t, s, 5); c.Last.Text != "fourth" || c.Unread != 3 {
		t.Fatalf("newer stored message: Last %q unread %d", c.Last.Text, c.Unread)
	}
	_, err := s.Conversation(ctx, 6)
	wantErr(t, err, ErrNotFound)
}

func equalConv(a, b Conversation) bool {
	peerEq := (a.Peer == nil) == (b.Peer == nil) && (a.Peer == nil || *a.Peer == *b.Peer)
	lastEq := (a.Last == nil) == (b.Last == nil) && (a.Last == nil || reflect.DeepEqual(*a.Last, *b.Last))
	a.Peer, b.Peer, a.Last, b.Last = nil, nil, nil, nil
	return peerEq && lastEq && a == b
}

func testConversationOrder(t *testing.T, open opener) {
	ctx := context.Background()
	clk := newClock()
	s := open(t, "a", Options{Now: clk.Now})
	// Conversation 1: joined at clock start, a message at t0+10s.
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "one"}))
	put(t, s, msg(1, 10, "hi"))
	// Conversation 2: joined 20 s later, no messages: its join time counts.
	clk.Advance(20 * time.Second)
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 2, Kind: proto.KindGroup, Name: "two"}))
	// Conversation 3: a summary whose last message is at t0+5s.
	last := msg(3, 5, "old news")
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 3, Kind: proto.KindGroup, Name: "three", LastSeq: 5, Last: &last}))
	// Conversation 4: same activity as 3; the higher ID comes first.
	last4 := msg(4, 5, "old news too")
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 4, Kind: proto.KindGroup, Name: "four", LastSeq: 5, Last: &last4}))

	order := func() []proto.ConvID {
		cs, err := s.Conversations(ctx)
		must(t, err)
		var ids []proto.ConvID
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		return ids
	}
	if got := order(); !slices.Equal(got, []proto.ConvID{2, 1, 4, 3}) {
		t.Fatalf("order = %v, want [2 1 4 3]", got)
	}
	put(t, s, msg(3, 60, "news")) // conversation 3 becomes the most recent
	if got := order(); !slices.Equal(got, []proto.ConvID{3, 2, 1, 4}) {
		t.Fatalf("after a message in 3, order = %v, want [3 2 1 4]", got)
	}
	cs, _ := s.Conversations(ctx)
	if cs[0].Name != "three" || cs[0].Last.Text != "news" || cs[0].Last.SenderName != "Li Hua" || cs[0].Last.Time != t0+60_000 || cs[0].Unread != 60 {
		t.Fatalf("list entry = %+v", cs[0])
	}
}

func testHave(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	have, err := s.Have(ctx)
	must(t, err)
	if len(have) != 0 {
		t.Fatalf("empty store Have = %v", have)
	}
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "one"}, proto.Conversation{ID: 2, Kind: proto.KindGroup, Name: "two"}))
	must(t, s.SetSynced(ctx, 1, 40))
	must(t, s.SetSynced(ctx, 1, 42))
	must(t, s.Close())
	s = open(t, "a", Options{})
	have, err = s.Have(ctx)
	must(t, err)
	if len(have) != 2 || have[1] != 42 || have[2] != 0 {
		t.Fatalf("Have = %v, want map[1:42 2:0]", have)
	}
	if c := conv(t, s, 1); c.SyncedSeq != 42 {
		t.Fatalf("SyncedSeq = %d", c.SyncedSeq)
	}
	wantErr(t, s.SetSynced(ctx, 99, 1), ErrNotFound)
}

func testMembers(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	if ms, err := s.Members(ctx, 1); err != nil || len(ms) != 0 {
		t.Fatalf("no members cached: %v, %v", ms, err)
	}
	first := []proto.Member{
		{User: proto.User{ID: 9, Name: "赵六"}, Online: true},
		{User: proto.User{ID: 3, Name: "Li Hua"}},
		{User: proto.User{ID: 5, Name: "王芳"}, Online: true},
	}
	must(t, s.ReplaceMembers(ctx, 1, first))
	got, err := s.Members(ctx, 1)
	must(t, err)
	if !slices.Equal(got, first) {
		t.Fatalf("members = %+v, want %+v", got, first)
	}
	second := []proto.Member{{User: proto.User{ID: 3, Name: "Li Hua"}, Online: true}}
	must(t, s.ReplaceMembers(ctx, 1, second))
	if got, _ := s.Members(ctx, 1); !slices.Equal(got, second) {
		t.Fatalf("after replace = %+v, want %+v", got, second)
	}
	// A repeated user is stored once, at its first place, with its last value.
	dup := []proto.Member{first[0], first[1], {User: proto.User{ID: 9, Name: "赵六"}}}
	must(t, s.ReplaceMembers(ctx, 1, dup))
	if got, _ := s.Members(ctx, 1); !slices.Equal(got, []proto.Member{{User: proto.User{ID: 9, Name: "赵六"}}, first[1]}) {
		t.Fatalf("with a repeated user = %+v", got)
	}
	must(t, s.ReplaceMembers(ctx, 1, nil))
	if got, _ := s.Members(ctx, 1); len(got) != 0 {
		t.Fatalf("after replacing with none = %+v", got)
	}
	if _, err := s.Conversation(ctx, 1); err != nil {
		t.Fatalf("members of an unknown conversation leave a placeholder: %v", err)
	}
}

func testOutboxReopen(t *testing.T, open opener) {
	ctx := context.Background()
	clk := newClock()
	s := open(t, "a", Options{Now: clk.Now})
	put(t, s, msg(1, 1, "hi"), msg(2, 1, "hi"))
	items := []OutboxItem{
		{ClientID: "k3", Conv: 1, Text: "第一条"},
		{ClientID: "k1", Conv: 2, Text: "second", Created: t0 - 5},                        // an earlier timestamp does not reorder
		{ClientID: "k2", Conv: 1, Text: "third", ReplyTo: 1},                              // a reply keeps what it answers
		{ClientID: "k5", Conv: 1, Text: "@王芳 @Tom", Mentions: []proto.UserID{4822, 4823}}, // and a mention whom
	}
	for i := range items {
		clk.Advance(time.Second)
		must(t, s.Enqueue(ctx, items[i]))
		if items[i].Created == 0 {
			items[i].Created = clk.Now().UnixMilli()
		}
	}
	must(t, s.Close())

	s = open(t, "a", Options{Now: clk.Now})
	got, err := s.Outbox(ctx)
	must(t, err)
	if !reflect.DeepEqual(got, items) {
		t.Fatalf("outbox after reopen:\n got %+v\nwant %+v", got, items)
	}
	must(t, s.RemoveOutbox(ctx, "k3"))
	must(t, s.Enqueue(ctx, OutboxItem{ClientID: "k4", Conv: 2, Text: "fourth"}))
	must(t, s.Close())
	s = open(t, "a", Options{Now: clk.Now})
	got, err = s.Outbox(ctx)
	must(t, err)
	var ids []string
	for _, it := range got {
		ids = append(ids, it.ClientID)
	}
	if !slices.Equal(ids, []string{"k1", "k2", "k5", "k4"}) {
		t.Fatalf("outbox = %v, want [k1 k2 k5 k4]", ids)
	}
}

func testOutboxOps(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	wantErr(t, s.Enqueue(ctx, OutboxItem{ClientID: "k1", Conv: 1, Text: "x"}), ErrNotFound) // conversation unknown
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "one"}))
	must(t, s.Enqueue(ctx, OutboxItem{ClientID: "k1", Conv: 1, Text: "x"}))
	wantErr(t, s.Enqueue(ctx, OutboxItem{ClientID: "k1", Conv: 1, Text: "y"}), ErrExists)
	must(t, s.RecordAttempt(ctx, "k1"))
	must(t, s.RecordAttempt(ctx, "k1"))
	got, _ := s.Outbox(ctx)
	if len(got) != 1 || got[0].Attempts != 2 || got[0].Text != "x" {
		t.Fatalf("outbox = %+v, want one item with 2 attempts", got)
	}
	wantErr(t, s.RecordAttempt(ctx, "nope"), ErrNotFound)
	wantErr(t, s.RemoveOutbox(ctx, "nope"), ErrNotFound)
	must(t, s.RemoveOutbox(ctx, "k1"))
	if got, _ := s.Outbox(ctx); len(got) != 0 {
		t.Fatalf("outbox after remove = %+v", got)
	}
}

func testAck(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "one", LastSeq: 4}))
	must(t, s.Enqueue(ctx, OutboxItem{ClientID: "k1", Conv: 1, Text: "你好"}))
	must(t, s.Enqueue(ctx, OutboxItem{ClientID: "k2", Conv: 1, Text: "again"}))

	acked := msg(1, 5, "你好")
	acked.ClientID = "k1"
	must(t, s.Ack(ctx, "k1", acked))
	must(t, s.MarkRead(ctx, 1, 5)) // the model marks its own message read
	got, _ := s.Outbox(ctx)
	if len(got) != 1 || got[0].ClientID != "k2" {
		t.Fatalf("outbox after ack = %+v, want only k2", got)
	}
	ms, _ := s.Latest(ctx, 1, 10)
	if len(ms) != 1 || !reflect.DeepEqual(ms[0], acked) {
		t.Fatalf("messages after ack = %+v, want the acked message", ms)
	}
	if c := conv(t, s, 1); c.LastSeq != 5 || c.Unread != 0 || c.Last.ClientID != "k1" {
		t.Fatalf("conversation after ack = %+v", c)
	}
	if got := search(t, s, SearchQuery{Text: "你好"}); len(got) != 1 {
		t.Fatalf("acked message not searchable: %+v", got)
	}
	must(t, s.Ack(ctx, "k1", acked)) // a duplicate ack changes nothing
	if ms, _ := s.Latest(ctx, 1, 10); len(ms) != 1 {
		t.Fatalf("duplicate ack stored %d messages", len(ms))
	}
	if got, _ := s.Outbox(ctx); len(got) != 1 {
		t.Fatalf("duplicate ack touched the outbox: %+v", got)
	}
}

func testDeleteConversation(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	joined := proto.Message{Conv: 2, Seq: 3, Time: t0, Kind: proto.MsgSystem, Event: &proto.Event{Type: proto.EventJoined}}
	put(t, s, msg(1, 1, "keep 你好"), msg(2, 5, "gone 你好"), msg(2, 2, "gone too"), joined)
	must(t, s.ReplaceMembers(ctx, 2, []proto.Member{{User: proto.User{ID: 1, Name: "x"}}}))
	must(t, s.Enqueue(ctx, OutboxItem{ClientID: "k1", Conv: 2, Text: "pending"}))
	must(t, s.Enqueue(ctx, OutboxItem{ClientID: "k2", Conv: 1, Text: "pending"}))

	must(t, s.DeleteConversation(ctx, 2))
	if _, err := s.Conversation(ctx, 2); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted conversation still there: %v", err)
	}
	if ms, _ := s.Latest(ctx, 2, 10); len(ms) != 0 {
		t.Fatalf("deleted conversation's messages still there: %v", seqs(ms))
	}
	if ms, _ := s.Members(ctx, 2); len(ms) != 0 {
		t.Fatalf("deleted conversation's members still there: %+v", ms)
	}
	if got, _ := s.Outbox(ctx); len(got) != 1 || got[0].ClientID != "k2" {
		t.Fatalf("outbox = %+v, want only k2", got)
	}
	if got := texts(search(t, s, SearchQuery{Text: "你好"})); !slices.Equal(got, []string{"keep 你好"}) {
		t.Fatalf("search after delete = %q", got)
	}
	// The newer, deleted match must not take the only place of a page.
	if got := texts(search(t, s, SearchQuery{Text: "你好", Limit: 1})); !slices.Equal(got, []string{"keep 你好"}) {
		t.Fatalf("search with limit 1 after delete = %q", got)
	}
	wantErr(t, s.DeleteConversation(ctx, 2), ErrNotFound)
	// Joining again starts clean.
	put(t, s, msg(2, 6, "back 你好"), msg(2, 5, "gone 你好")) // (2, 5) again: same key as before
	if c := conv(t, s, 2); c.LastSeq != 6 || c.Last.Text != "back 你好" {
		t.Fatalf("rejoined conversation = %+v", c)
	}
	if got := texts(search(t, s, SearchQuery{Text: "你好", Conv: 2})); !slices.Equal(got, []string{"back 你好", "gone 你好"}) {
		t.Fatalf("search in the rejoined conversation = %q", got)
	}
}

func testTransfers(t *testing.T, open opener) {
	ctx := context.Background()
	clk := newClock()
	s := open(t, "a", Options{Now: clk.Now})
	start := clk.Now().UnixMilli()
	up := Transfer{ID: "t1", Direction: Up, Conv: 1, Name: "报告.pdf", Size: 12_400_000, Path: "/home/li/报告.pdf", State: TransferQueued}
	must(t, s.PutTransfer(ctx, up))
	clk.Advance(time.Second)
	down := Transfer{ID: "t0", Direction: Down, Conv: 2, Name: "photo.jpg", Size: 1 << 20, SHA256: "ab12", Path: "/tmp/photo.jpg", State: TransferActive, UploadID: "u9"}
	must(t, s.PutTransfer(ctx, down))

	clk.Advance(time.Second)
	up.Offset, up.State, up.UploadID, up.SHA256 = 4096, TransferActive, "u1", "ffee"
	up.Created = 12345 // ignored: the store keeps the first put's time
	must(t, s.PutTransfer(ctx, up))
	must(t, s.Close())

	s = open(t, "a", Options{Now: clk.Now})
	got, err := s.Transfer(ctx, "t1")
	must(t, err)
	wantUp := up
	wantUp.Created, wantUp.Updated = start, start+2000
	if got != wantUp {
		t.Fatalf("transfer t1:\n got %+v\nwant %+v", got, wantUp)
	}
	all, err := s.Transfers(ctx)
	must(t, err)
	wantDown := down
	wantDown.Created, wantDown.Updated = start+1000, start+1000
	if !slices.Equal(all, []Transfer{wantUp, wantDown}) {
		t.Fatalf("transfers = %+v", all)
	}
	must(t, s.DeleteTransfer(ctx, "t1"))
	wantErr(t, s.DeleteTransfer(ctx, "t1"), ErrNotFound)
	_, err = s.Transfer(ctx, "t1")
	wantErr(t, err, ErrNotFound)
	if all, _ := s.Transfers(ctx); len(all) != 1 || all[0].ID != "t0" {
		t.Fatalf("after delete = %+v", all)
	}
}

func testInvalid(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	_, err := s.PutMessages(ctx, []proto.Message{msg(1, 1, "ok"), msg(1, 0, "no seq")})
	wantErr(t, err, ErrInvalid)
	if ms, _ := s.Latest(ctx, 1, 10); len(ms) != 0 {
		t.Fatalf("a rejected batch stored %d messages", len(ms))
	}
	_, err = s.PutMessages(ctx, []proto.Message{msg(0, 1, "no conv")})
	wantErr(t, err, ErrInvalid)
	wantErr(t, s.PutConversations(ctx, proto.Conversation{ID: 0}), ErrInvalid)
	wantErr(t, s.Enqueue(ctx, OutboxItem{Conv: 1, Text: "no client id"}), ErrInvalid)
	wantErr(t, s.Ack(ctx, "k", proto.Message{}), ErrInvalid)
	wantErr(t, s.PutTransfer(ctx, Transfer{ID: "t", Direction: "sideways"}), ErrInvalid)
	wantErr(t, s.PutTransfer(ctx, Transfer{Direction: Up}), ErrInvalid)
	wantErr(t, s.ReplaceMembers(ctx, 0, nil), ErrInvalid)
}

func testClosed(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	must(t, s.Close())
	wantErr(t, s.Close(), ErrClosed)
	_, err := s.PutMessages(ctx, numbered(1, 1, 1))
	wantErr(t, err, ErrClosed)
	_, err = s.Latest(ctx, 1, 1)
	wantErr(t, err, ErrClosed)
	_, err = s.Search(ctx, SearchQuery{Text: "x"})
	wantErr(t, err, ErrClosed)
	_, err = s.Conversations(ctx)
	wantErr(t, err, ErrClosed)
	_, err = s.Session(ctx)
	wantErr(t, err, ErrClosed)
	wantErr(t, s.Enqueue(ctx, OutboxItem{ClientID: "k", Conv: 1}), ErrClosed)
}

func testConcurrent(t *testing.T, open opener) {
	const writers, perWriter = 4, 30
	ctx := context.Background()
	s := open(t, "a", Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for w := range writers {
		wg.Add(2)
		go func() { // writer: its own conversation, one message per call
			defer wg.Done()
			c := proto.ConvID(w + 1)
			for seq := int64(1); seq <= perWriter; seq++ {
				if _, err := s.PutMessages(ctx, []proto.Message{msg(c, seq, "并发 concurrent")}); err != nil {
					errs <- err
					return
				}
				if err := s.MarkRead(ctx, c, seq-1); err != nil {
					errs <- err
					return
				}
			}
		}()
		go func() { // reader
			defer wg.Done()
			for range perWriter {
				if _, err := s.Conversations(ctx); err != nil {
					errs <- err
					return
				}
				if _, err := s.Search(ctx, SearchQuery{Text: "并发"}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	cs, err := s.Conversations(ctx)
	must(t, err)
	if len(cs) != writers {
		t.Fatalf("%d conversations, want %d", len(cs), writers)
	}
	for _, c := range cs {
		if c.LastSeq != perWriter || c.Unread != 1 {
			t.Errorf("conversation %d: LastSeq %d Unread %d, want %d and 1", c.ID, c.LastSeq, c.Unread, perWriter)
		}
	}
	if got := search(t, s, SearchQuery{Text: "并发", Limit: MaxLimit}); len(got) != writers*perWriter {
		t.Fatalf("search found %d, want %d", len(got), writers*perWriter)
	}
}

func testSameMillisecond(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	// A burst: 30 conversations, 100 messages each, all stamped with the
	// same millisecond, stored in two batches.
	var first, second []proto.Message
	for c := proto.ConvID(1); c <= 30; c++ {
		for seq := int64(1); seq <= 100; seq++ {
			m := msg(c, seq, fmt.Sprintf("同一毫秒 burst %d-%d", c, seq))
			m.Time = t0
			if seq%2 == 0 {
				first = append(first, m)
			} else {
				second = append(second, m)
			}
		}
	}
	if n := put(t, s, first...) + put(t, s, second...); n != 3000 {
		t.Fatalf("stored %d, want 3000", n)
	}
	if n := put(t, s, append(first, second...)...); n != 0 {
		t.Fatalf("re-put stored %d more", n)
	}
	for c := proto.ConvID(1); c <= 30; c++ {
		ms, err := s.Latest(ctx, c, 200)
		must(t, err)
		if !slices.Equal(seqs(ms), seqRange(1, 100)) {
			t.Fatalf("conversation %d holds %v", c, seqs(ms))
		}
	}
	got := search(t, s, SearchQuery{Text: "毫秒", Limit: MaxLimit})
	if len(got) != MaxLimit {
		t.Fatalf("search found %d, want a full page of %d", len(got), MaxLimit)
	}
	got = search(t, s, SearchQuery{Text: "毫秒 burst", Conv: 17, Limit: MaxLimit})
	if len(got) != 100 {
		t.Fatalf("search in one conversation found %d, want 100", len(got))
	}
	for _, m := range got {
		if m.Conv != 17 {
			t.Fatalf("search in conversation 17 found %+v", m)
		}
	}
}

func testSearchEverySubstring(t *testing.T, open opener) {
	s := open(t, "a", Options{})
	text := []rune("会议改到明天下午三点，请大家准时参加")
	put(t, s, msg(1, 1, string(text)), msg(1, 2, "明天见"), msg(2, 1, "无关的消息"))
	for i := range text {
		for j := i + 1; j <= len(text); j++ {
			q := string(text[i:j])
			if len(searchtext.ParseQuery(q)) == 0 {
				continue // punctuation alone
			}
			found := false
			for _, m := range search(t, s, SearchQuery{Text: q}) {
				found = found || m.Seq == 1 && m.Conv == 1
			}
			if !found {
				t.Errorf("search %q does not find %q", q, string(text))
			}
		}
	}
}

func testDrafts(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	ds, err := s.Drafts(ctx)
	must(t, err)
	if len(ds) != 0 {
		t.Fatalf("a new store has drafts %v", ds)
	}
	if conv, err := s.LastOpen(ctx); err != nil || conv != 0 {
		t.Fatalf("a new store's last open conversation = %d, %v; want 0", conv, err)
	}
	long := strings.Repeat("长文本 long text ", 2000)
	must(t, s.SaveDraft(ctx, 1, "周四见 see you"))
	must(t, s.SaveDraft(ctx, 2, "to be replaced"))
	must(t, s.SaveDraft(ctx, 2, long))
	must(t, s.SaveDraft(ctx, 3, "to be deleted"))
	must(t, s.SaveDraft(ctx, 3, ""))
	must(t, s.SaveDraft(ctx, 4, "")) // deleting nothing is fine
	must(t, s.SetLastOpen(ctx, 2))
	wantErr(t, s.SaveDraft(ctx, 0, "x"), ErrInvalid)
	wantErr(t, s.SetLastOpen(ctx, -1), ErrInvalid)
	must(t, s.Close())

	s = open(t, "a", Options{})
	want := map[proto.ConvID]string{1: "周四见 see you", 2: long}
	ds, err = s.Drafts(ctx)
	must(t, err)
	if !maps.Equal(ds, want) {
		t.Fatalf("after reopen Drafts has %d drafts, want %d", len(ds), len(want))
	}
	if conv, err := s.LastOpen(ctx); err != nil || conv != 2 {
		t.Fatalf("after reopen LastOpen = %d, %v; want 2", conv, err)
	}
	ds[1] = "changed by the caller"
	if again, _ := s.Drafts(ctx); again[1] != want[1] {
		t.Fatal("Drafts returned the store's own map")
	}
	if other, _ := open(t, "b", Options{}).Drafts(ctx); len(other) != 0 {
		t.Fatalf("another account sees drafts %v", other)
	}
	must(t, s.Close())
	wantErr(t, s.SaveDraft(ctx, 1, "x"), ErrClosed)
	_, err = s.Drafts(ctx)
	wantErr(t, err, ErrClosed)
}

// A group's picture comes with its summary; my settings of a conversation
// are stored apart (a summary does not change them), and both are there
// after a reopen.
func testConvSettings(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	must(t, s.PutConversations(ctx,
		proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "muted", Picture: "0123abcd"},
		proto.Conversation{ID: 2, Kind: proto.KindDirect, Name: "王芳", Peer: &proto.User{ID: 77, Name: "王芳"}, Members: 2}))
	muted := proto.ConvSettings{Conv: 1, Notify: proto.NotifyOff, NotifyUntil: t0 + 3600_000}
	request := proto.ConvSettings{Conv: 2, Request: true, Notify: proto.NotifyAll, Archived: true}
	must(t, s.SetConvSettings(ctx, muted, request, proto.ConvSettings{Conv: 9, Archived: true})) // 9 is not cached
	// A later summary replaces the picture, and leaves the settings.
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "muted", Picture: "4567ef"}))
	must(t, s.Close())

	s = open(t, "a", Options{})
	if c := conv(t, s, 1); c.Picture != "4567ef" || c.Settings != muted {
		t.Fatalf("after reopen conversation 1 = %+v", c)
	}
	if c := conv(t, s, 2); c.Picture != "" || c.Settings != request {
		t.Fatalf("after reopen conversation 2 = %+v", c)
	}
	if _, err := s.Conversation(ctx, 9); !errors.Is(err, ErrNotFound) {
		t.Fatalf("settings of a conversation not cached made one: %v", err)
	}
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "muted"}))
	if c := conv(t, s, 1); c.Picture != "" {
		t.Fatalf("a summary without a picture left %q", c.Picture)
	}
}
