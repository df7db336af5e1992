package auth

import (
	"strings"
	"testing"
	"time"
)

func TestPasswordHashVerifies(t *testing.T) {
	h := NewHasher(Params{Memory: 64, Time: 1, Threads: 1}, 2)
	enc, err := h.Hash("correct horse 电池")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string with its parameters", enc)
	}
	if ok, err := h.Verify("correct horse 电池", enc); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, _ := h.Verify("correct horse", enc); ok {
		t.Fatal("wrong password verified")
	}
	again, _ := h.Hash("correct horse 电池")
	if again == enc {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	// A hasher with other parameters still verifies old hashes.
	if ok, _ := NewHasher(DefaultParams, 1).Verify("correct horse 电池", enc); !ok {
		t.Fatal("a hash made with other parameters does not verify")
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$v=19$m=1,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=x$AAAA$AAAA"} {
		if _, err := h.Verify("x", bad); err == nil {
			t.Errorf("malformed hash %q verified without error", bad)
		}
	}
}

func TestDefaultParamsAreOWASP(t *testing.T) {
	if DefaultParams != (Params{Memory: 19 * 1024, Time: 2, Threads: 1}) {
		t.Fatalf("DefaultParams = %+v, want OWASP m=19 MiB, t=2, p=1", DefaultParams)
	}
}

func TestTokensAreRandomAndHashed(t *testing.T) {
	t1, h1, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	t2, _, _ := NewToken()
	if t1 == t2 || len(t1) != 43 {
		t.Fatalf("tokens %q %q: want distinct 43-char (256-bit) tokens", t1, t2)
	}
	if string(HashToken(t1)) != string(h1) || strings.Contains(string(h1), t1) {
		t.Fatal("stored hash does not match or contains the token")
	}
}

func TestLimiterRefillsAndForgets(t *testing.T) {
	now := time.Unix(0, 0)
	l := NewLimiter(3, time.Minute, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Take("k"); !ok {
			t.Fatalf("take %d refused within the burst", i)
		}
	}
	ok, retry := l.Take("k")
	if ok || retry != time.Minute {
		t.Fatalf("4th take: ok=%v retry=%v, want refused for 1m", ok, retry)
	}
	if ok, _ := l.Allow("other"); !ok {
		t.Fatal("another key is limited")
	}
	now = now.Add(30 * time.Second)
	if ok, retry := l.Allow("k"); ok || retry != 30*time.Second {
		t.Fatalf("after 30s: ok=%v retry=%v", ok, retry)
	}
	now = now.Add(30 * time.Second)
	if ok, _ := l.Take("k"); !ok {
		t.Fatal("no token after a full interval")
	}
	l.Reset("k")
	if ok, _ := l.Allow("k"); !ok {
		t.Fatal("Reset did not clear the key")
	}
	now = now.Add(time.Hour)
	l.Take("a")
	now = now.Add(time.Hour)
	l.Allow("b") // sweeps
	if len(l.buckets) != 0 {
		t.Fatalf("%d idle buckets kept", len(l.buckets))
	}
}
