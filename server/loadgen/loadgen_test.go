package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"parley/net/proto"
)

func TestHistogramPercentilesAreNeverBelowAndAtMostOneBucketAbove(t *testing.T) {
	var h hist
	const n = 100000
	for i := 1; i <= n; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	for _, q := range []float64{0.5, 0.95, 0.99, 0.999} {
		want := time.Duration(q*n) * time.Microsecond
		got := h.quantile(q)
		if got < want || float64(got) > float64(want)*(1+1.0/histSub) {
			t.Errorf("p%g = %v, want %v to %v", q*100, got, want, time.Duration(float64(want)*(1+1.0/histSub)))
		}
	}
	if h.Max() != n*time.Microsecond || h.count() != n {
		t.Errorf("max %v count %d, want %v and %d", h.Max(), h.count(), n*time.Microsecond, n)
	}
	if got := h.quantile(1); got != h.Max() {
		t.Errorf("p100 = %v, want the max %v", got, h.Max())
	}
}

func TestHistogramBucketsAreOrderedAndHoldTheirValues(t *testing.T) {
	prev := -1
	for v := int64(0); v < 1<<41; v = v + 1 + v/7 {
		b := histBucket(v)
		if b < prev {
			t.Fatalf("bucket of %d is %d, below the previous %d", v, b, prev)
		}
		if up := histUpper(b); up < v || (b > 0 && histUpper(b-1) >= v) {
			t.Fatalf("%d is in bucket %d whose range ends at %d (previous ends at %d)", v, b, up, histUpper(b-1))
		}
		prev = b
	}
}

func TestHistogramMergeEqualsOneHistogramOfEverything(t *testing.T) {
	var a, b, all hist
	for i := range 1000 {
		d := time.Duration(i*i) * time.Microsecond
		all.record(d)
		if i%3 == 0 {
			a.record(d)
		} else {
			b.record(d)
		}
	}
	a.merge(&b)
	if a != all {
		t.Fatalf("merged histogram differs: %s vs %s", a.summary(), all.summary())
	}
	var empty hist
	if empty.quantile(0.99) != 0 || empty.summary() != "no samples" {
		t.Fatal("an empty histogram reports samples")
	}
}

func TestScheduleSpreadsTheRateEvenlyOverPublishers(t *testing.T) {
	s := schedule{start: time.Second, rate: 1000, pubs: 3, total: 10}
	seen := map[int]int{}
	for p := range s.pubs {
		for i := s.next(p, 0); i >= 0; i = s.next(p, i+1) {
			if i%s.pubs != p {
				t.Fatalf("publisher %d got message %d", p, i)
			}
			seen[i]++
		}
	}
	for i := range s.total {
		if seen[i] != 1 {
			t.Fatalf("message %d sent %d times, want once", i, seen[i])
		}
		if want := time.Second + time.Duration(i)*time.Millisecond; s.due(i) != want {
			t.Fatalf("message %d due at %v, want %v", i, s.due(i), want)
		}
	}
	// Publisher 1 woken at 1.0075 s owes messages 1, 4 and 7: 7 is due at
	// 1.007 s, the next one (10) is past the plan.
	if end := s.dueUpTo(1, 1, time.Second+7500*time.Microsecond); end != 8 {
		t.Fatalf("due up to 1.0075 s ends at %d, want 8", end)
	}
	if end := s.dueUpTo(1, 1, time.Second); end != 0 {
		t.Fatalf("nothing is due before the start, but the range ends at %d", end)
	}
	if s.next(2, 9) != -1 {
		t.Fatal("the plan continues past its total")
	}
}

func TestStampRoundTripsThroughText(t *testing.T) {
	due, sent := 1234567890*time.Nanosecond, 1234569999*time.Nanosecond
	text := appendStamp(nil, due, sent, 100)
	if len(text) != 100 {
		t.Fatalf("stamped text is %d bytes, want 100", len(text))
	}
	d, s, ok := parseStamp(text)
	if !ok || d != due || s != sent {
		t.Fatalf("parseStamp(%q) = %v %v %v", text, d, s, ok)
	}
	for _, bad := range []string{"", "hello", "lg", "lg12", "lg.1.", "lg1x.2."} {
		if _, _, ok := parseStamp([]byte(bad)); ok {
			t.Errorf("parseStamp(%q) accepted it", bad)
		}
	}
}

// The scanners must agree with what the server really encodes.
func TestScannersReadTheServersEncoding(t *testing.T) {
	text := string(appendStamp(nil, 5, 7, 60))
	push, err := proto.EncodePush(proto.TypeMessage, &proto.Message{
		Conv: 512, Seq: 77, ClientID: "ab-3", Sender: 4821, SenderName: "Li Hua", Time: 1700000000000, Kind: proto.MsgText, Text: text,
	})
	if err != nil {
		t.Fatal(err)
	}
	conv, seq, got, ok := scanMessage(push)
	if !ok || conv != 512 || seq != 77 || string(got) != text {
		t.Fatalf("scanMessage(%s) = %d %d %q %v", push, conv, seq, got, ok)
	}
	reply, err := proto.EncodeReply("42", proto.SendReply{Message: proto.Message{Conv: 512, Seq: 78, Kind: proto.MsgText, Text: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if id, seq, failed, ok := scanReply(reply); !ok || id != 42 || seq != 78 || failed {
		t.Fatalf("scanReply(%s) = %d %d %v %v", reply, id, seq, failed, ok)
	}
	errReply := proto.EncodeError("43", proto.Errorf(proto.CodeNotMember, "no"))
	if id, _, failed, ok := scanReply(errReply); !ok || id != 43 || !failed {
		t.Fatalf("scanReply(%s) = %d %v %v", errReply, id, failed, ok)
	}
	if _, _, _, ok := scanMessage(reply); ok {
		t.Fatal("a reply scanned as a message push")
	}
	if _, _, _, ok := scanReply(push); ok {
		t.Fatal("a push scanned as a reply")
	}
}

func TestProcParsing(t *testing.T) {
	stat := []byte("4242 (parley server) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 50 0 0 20 0 9 0 100 1000000 5000 18446744073709551615\n")
	cpu, err := parseStatCPU(stat)
	if err != nil || cpu != 3*time.Second {
		t.Fatalf("cpu = %v, %v; want 3s", cpu, err)
	}
	status := []byte("Name:\tparley-server\nVmPeak:\t 99999 kB\nVmRSS:\t   20480 kB\nThreads:\t9\n")
	rss, err := parseStatusRSS(status)
	if err != nil || rss != 20<<20 {
		t.Fatalf("rss = %d, %v; want %d", rss, err, 20<<20)
	}
	all, err := parseMachineBusy([]byte("cpu  100 5 50 9000 10 1 2 3 0 0\ncpu0 50 2 25 4500 5 0 1 1 0 0\n"))
	if err != nil || all != 1610*time.Millisecond {
		t.Fatalf("machine busy = %v, %v; want 1.61s (user+nice+system+irq+softirq+steal)", all, err)
	}
	if _, err := parseStatusRSS([]byte("Name:\tx\n")); err == nil {
		t.Fatal("a status without VmRSS parsed")
	}
	if _, err := parseStatCPU([]byte("garbage")); err == nil {
		t.Fatal("a garbage stat parsed")
	}
	wait, err := parseSchedstatWait([]byte("4970117834 1330512008 60712\n"))
	if err != nil || wait != 1330512008*time.Nanosecond {
		t.Fatalf("run-queue wait = %v, %v; want 1.330512008s (the second field)", wait, err)
	}
	for _, bad := range []string{"", "1 2", "1 x 3", "1 -2 3"} {
		if _, err := parseSchedstatWait([]byte(bad)); err == nil {
			t.Errorf("schedstat %q parsed", bad)
		}
	}
	// This process's own threads: a real file in the format parsed above.
	if _, err := os.Stat("/proc/self/task"); err == nil {
		self, err := readProc("self")
		if err != nil {
			t.Fatal(err)
		}
		if self.wait < 0 {
			t.Fatalf("own run-queue wait %v", self.wait)
		}
	}
}

// serverFrame encodes an unmasked frame as a server sends it.
func serverFrame(fin bool, op byte, p string) []byte {
	b := []byte{op, byte(len(p))}
	if fin {
		b[0] |= 0x80
	}
	return append(b, p...)
}

func TestFramesAreReadAndPingsAnswered(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	c := &wsConn{nc: client, br: bufio.NewReaderSize(client, 64), key: 1}
	big := string(make([]byte, 100)) // larger than the read buffer
	go func() {
		for _, f := range [][]byte{
			serverFrame(true, opText, "first"),
			serverFrame(true, opPing, "are you there"),
			serverFrame(false, opText, "frag"),
			serverFrame(true, opCont, "mented"),
			serverFrame(true, opText, big),
			serverFrame(true, opClose, ""),
		} {
			server.Write(f)
		}
	}()
	pong := make(chan string, 1)
	go func() {
		// The pong is masked, as every client frame must be.
		var h [6]byte
		io.ReadFull(server, h[:])
		p := make([]byte, h[1]&0x7f)
		io.ReadFull(server, p)
		for i := range p {
			p[i] ^= h[2+i%4]
		}
		if h[0] != 0x80|opPong || h[1]&0x80 == 0 {
			pong <- "not a masked pong"
			return
		}
		pong <- string(p)
	}()
	want := []string{"first", "fragmented", big}
	for _, w := range want {
		op, p, err := c.readFrame()
		if err != nil || op != opText || string(p) != w {
			t.Fatalf("readFrame = %d %q %v, want text %q", op, p, err, w)
		}
	}
	if got := <-pong; got != "are you there" {
		t.Fatalf("pong carried %q", got)
	}
	if _, _, err := c.readFrame(); !errors.Is(err, errClosed) {
		t.Fatalf("after a close frame: %v, want errClosed", err)
	}
}

func TestClientFramesAreMaskedWithTheirLength(t *testing.T) {
	c := &wsConn{key: 7}
	for _, n := range []int{0, 125, 126, 65535, 65536} {
		p := make([]byte, n)
		f := c.appendFrame(nil, opText, p)
		var length, hdr int
		switch f[1] & 0x7f {
		case 126:
			length, hdr = int(binary.BigEndian.Uint16(f[2:4])), 4
		case 127:
			length, hdr = int(binary.BigEndian.Uint64(f[2:10])), 10
		default:
			length, hdr = int(f[1]&0x7f), 2
		}
		if f[0] != 0x80|opText || f[1]&0x80 == 0 || length != n || len(f) != hdr+4+n {
			t.Fatalf("frame of %d bytes: header % x, length %d, size %d", n, f[:hdr], length, len(f))
		}
	}
}

func TestFloorDeliversEveryFrameToEveryMember(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	plan := floorPlan{members: 12, rate: 2000, total: 300, frameLen: 290}
	var clients []net.Conn
	for range plan.members {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	var served []net.Conn
	for range plan.members {
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		served = append(served, c)
	}
	r := newFloorRun(plan, 100, plan.total)
	var wg sync.WaitGroup
	for _, c := range clients {
		c.SetReadDeadline(time.Now().Add(time.Minute))
		wg.Go(func() { r.receive(c) })
	}
	if err := floorServe(served, plan, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, c := range served {
		c.Close() // the receivers read to the end, then see EOF
	}
	wg.Wait()
	var rep report
	r.summarise(&rep, time.Second)
	if rep.Delivered != uint64(plan.members*plan.total) || rep.Missing != 0 || rep.Incomplete != 0 || rep.Gaps != 0 {
		t.Fatalf("delivered %d missing %d incomplete %d malformed %d; want %d, 0, 0, 0",
			rep.Delivered, rep.Missing, rep.Incomplete, rep.Gaps, plan.members*plan.total)
	}
	if rep.Completion.N != 200 || rep.Latency.N != 200*uint64(plan.members) {
		t.Fatalf("completion over %d messages, latency over %d deliveries; want the 200 measured and %d", rep.Completion.N, rep.Latency.N, 200*plan.members)
	}
}

func TestFloorPlanRoundTripsAndRejectsBadInput(t *testing.T) {
	p := floorPlan{members: 5000, rate: 20.5, total: 246, frameLen: 290}
	got, err := parseFloorPlan(p.args())
	if err != nil || got != p {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, p)
	}
	for _, bad := range [][]string{nil, {"1", "2", "3"}, {"0", "20", "10", "290"}, {"5", "x", "10", "290"}, {"5", "20", "10", "8"}, {"5", "-1", "10", "290"}} {
		if _, err := parseFloorPlan(bad); err == nil {
			t.Errorf("plan %q accepted", bad)
		}
	}
}

// -url with several nodes: connections go to them in turn, and each
// node's process id pairs with its address.
func TestTheNodesOfAClusterShareTheLoad(t *testing.T) {
	tg, err := parseTargets("ws://127.0.0.1:8081/v1/ws,ws://127.0.0.1:8082/v1/ws, ws://127.0.0.1:8083/v1/ws", "11,12,13")
	if err != nil {
		t.Fatal(err)
	}
	if tg.addr != "127.0.0.1:8081" || tg.pid != "11" {
		t.Fatalf("first node %s pid %s", tg.addr, tg.pid)
	}
	for i, want := range []string{"127.0.0.1:8081", "127.0.0.1:8082", "127.0.0.1:8083", "127.0.0.1:8081"} {
		if got := tg.addrFor(i); got != want {
			t.Errorf("connection %d goes to %s, want %s", i, got, want)
		}
	}
	if tg.pids[2] != "13" {
		t.Fatalf("pids %v", tg.pids)
	}
	if _, err := parseTargets("ws://127.0.0.1:8081/v1/ws,ws://10.0.0.1:8082/v1/ws", ""); err == nil {
		t.Fatal("a node off this machine was taken")
	}
	if _, err := parseTargets("ws://127.0.0.1:8081/v1/ws", "x"); err == nil {
		t.Fatal("a pid that is no number was taken")
	}
}
