package hub

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"parley/net/proto"
	"parley/server/auth"
	"parley/server/storage"
)

// FuzzDispatch feeds arbitrary text frames to the dispatcher of a logged-in
// connection on a real database. Whatever the input, the server must not
// panic, must answer with exactly one reply, which carries an "id" field
// holding the request's id as far as it could be read, and must only send
// frames that decode. The seeds run in every `go test`; `make fuzz`
// explores further.
func FuzzDispatch(f *testing.F) {
	seeds := []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"type":1}`, `{"type":"ping"}`, `{"type":"ping","id":"1"}`,
		`{"type":"send","id":"2","body":{"conv":100,"client_id":"a","text":"hi"}}`,
		`{"type":"send","id":"3","body":{"conv":-1,"client_id":"a","text":"\u0000"}}`,
		`{"type":"send","id":"4","body":{"conv":100,"client_id":"` + strings.Repeat("k", 80) + `","text":"x"}}`,
		`{"type":"history","id":"5","body":{"conv":100,"before":-3,"limit":100000}}`,
		`{"type":"history","id":"6","body":{"conv":100,"after":1e30}}`,
		`{"type":"sync","id":"7","body":{"have":{"100":5,"abc":1}}}`,
		`{"type":"sync","id":"8","body":{"have":null,"limit":-1}}`,
		`{"type":"create_group","id":"9","body":{"name":"学习小组"}}`,
		`{"type":"join_group","id":"10","body":{"group":9223372036854775807}}`,
		`{"type":"invite","id":"11","body":{"user":0,"group":0}}`,
		`{"type":"members","id":"12","body":{"conv":100,"unwatch":true}}`,
		`{"type":"direct","id":"13","body":{"user":-5}}`,
		`{"type":"leave","id":"14","body":{"conv":"100"}}`,
		`{"type":"login","id":"15","body":{"user":1000,"password":"x"}}`,
		`{"type":"register","id":"16","body":{"name":"\ud800","password":"secret-password"}}`,
		`{"type":"logout","id":"17"}`,
		`{"type":"resume","id":"18","body":{"token":""}}`,
		`{"type":"conversations","id":"19","body":[1,2]}`,
		`{"type":"whoami","id":"` + strings.Repeat("i", 100) + `"}`,
		`{"id":"20"}`, `{"id":"21","type":7}`, `{"id":22,"type":"ping"}`,
		`{"type":"send","id":"23","body":{"conv":100,"client_id":"b","text":"hi ` + "\xff\xfe" + `"}}`,
		`{"type":"create_group","id":"24","body":{"name":"\udc00"}}`,
		`{"type":"ping","id":"` + "\xff" + `"}`,
		`{"type":"send","id":"25","body":{"conv":100,"client_id":"c","text":"re","reply_to":1,"mentions":[1000,-1]}}`,
		`{"type":"send","id":"26","body":{"conv":100,"client_id":"d","forward_of":{"conv":100,"seq":1}}}`,
		`{"type":"edit","id":"27","body":{"conv":100,"seq":2,"client_id":"e","text":"x"}}`,
		`{"type":"delete","id":"28","body":{"conv":100,"seq":2,"client_id":"f"}}`,
		`{"type":"react","id":"29","body":{"conv":100,"seq":1,"client_id":"g","emoji":"👍🏽","remove":true}}`,
		`{"type":"pin","id":"30","body":{"conv":100,"seq":1,"client_id":"h","unpin":false}}`,
		`{"type":"pins","id":"31","body":{"conv":100}}`,
		`{"type":"hide","id":"32","body":{"conv":100,"seq":-1}}`,
		`{"type":"sync","id":"33","body":{"hidden_after":-5}}`,
		`{"type":"read","id":"34","body":{"conv":100,"seq":1}}`,
		`{"type":"delivered","id":"35","body":{"conv":100,"seq":-1}}`,
		`{"type":"seen_by","id":"36","body":{"conv":100,"seq":9223372036854775807}}`,
		`{"type":"set_privacy","id":"37","body":{"read_receipts":false}}`,
		`{"type":"privacy","id":"38"}`,
		`{"type":"typing","id":"39","body":{"conv":100,"stop":true}}`,
		`{"type":"search","id":"40","body":{"query":"你好 \"OR\" *x","before":-1,"limit":1000}}`,
		`{"type":"search","id":"41","body":{"query":"\" NEAR( a","conv":100}}`,
		`{"type":"create_group","id":"42","body":{"name":"g","policy":"nobody","description":"a\u0007b"}}`,
		`{"type":"group","id":"43","body":{"group":-1}}`,
		`{"type":"set_group","id":"44","body":{"group":100,"name":null,"description":"","policy":"open","invite":"x","send":"admins"}}`,
		`{"type":"join_requests","id":"45","body":{"group":100}}`,
		`{"type":"answer_join","id":"46","body":{"group":100,"user":1000,"approve":"yes"}}`,
		`{"type":"remove_member","id":"47","body":{"group":100,"user":1000}}`,
		`{"type":"ban","id":"48","body":{"group":100,"user":-7}}`,
		`{"type":"unban","id":"49","body":{"group":100,"user":0}}`,
		`{"type":"bans","id":"50","body":{}}`,
		`{"type":"set_admin","id":"51","body":{"group":100,"user":1000,"admin":true}}`,
		`{"type":"transfer_owner","id":"52","body":{"group":100,"user":1000}}`,
		`{"type":"create_link","id":"53","body":{"group":100,"expires_in_ms":-1,"max_uses":1e9}}`,
		`{"type":"links","id":"54","body":{"group":100}}`,
		`{"type":"revoke_link","id":"55","body":{"group":100,"id":-1}}`,
		`{"type":"link_info","id":"56","body":{"token":"` + strings.Repeat("t", 200) + `"}}`,
		`{"type":"join_link","id":"57","body":{"token":"\udc00"}}`,
	}
	for _, s := range seeds {
		f.Add(s)
	}

	db, err := storage.Open(context.Background(), f.TempDir(), storage.Options{Synchronous: "OFF"})
	if err != nil {
		f.Fatal(err)
	}
	h := New(Config{DB: db, Hasher: auth.NewHasher(auth.Params{Memory: 8, Time: 1, Threads: 1}, 1), QueueLen: 1 << 16})
	f.Cleanup(func() { db.Close(); h.Close() })
	ctx := context.Background()
	user, err := db.CreateUser(ctx, "fuzzer", "x")
	if err != nil {
		f.Fatal(err)
	}
	if _, err := db.CreateGroup(ctx, user, "fuzz group"); err != nil {
		f.Fatal(err)
	}
	c := newConn(h, nil, nil, "fuzz")

	f.Fuzz(func(t *testing.T, frame string) {
		if c.user.ID == 0 { // a previous input logged out
			h.bind(c, user, []byte("token-hash"))
		}
		h.dispatch(ctx, c, []byte(frame))
		// Wait for sends in flight: take every in-flight slot, then free them.
		for range cap(c.inflight) {
			c.inflight <- struct{}{}
		}
		for range cap(c.inflight) {
			<-c.inflight
		}
		req, _ := proto.DecodeFrame([]byte(frame)) // the id as far as it can be read
		replies := 0
		for _, out := range c.takeQueued() {
			got, err := proto.DecodeFrame(out)
			if err != nil {
				t.Fatalf("input %q: server sent undecodable frame %q: %v", frame, out, err)
			}
			if got.Type != proto.TypeReply {
				continue
			}
			replies++
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(out, &fields); err != nil || fields["id"] == nil || got.ID != req.ID {
				t.Fatalf("input %q: reply %s, want \"id\": %q", frame, out, req.ID)
			}
		}
		if replies != 1 {
			t.Fatalf("input %q: %d replies, want exactly 1", frame, replies)
		}
	})
}
