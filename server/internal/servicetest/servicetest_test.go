//go:build linux

package servicetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The smoke tests run in parallel: most of each one's time is its service
// starting.

func TestPostgreSQLRoundTrip(t *testing.T) {
	t.Parallel()
	dsn := PostgreSQL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE messages (seq bigint PRIMARY KEY, body text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	want := []string{"hello", "wörld", ""}
	for i, body := range want {
		if _, err := conn.Exec(ctx, `INSERT INTO messages (seq, body) VALUES ($1, $2)`, i+1, body); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := conn.Query(ctx, `SELECT body FROM messages ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
		t.Fatalf("read back %q, want %q", got, want)
	}
}

func TestNATSPublishSubscribeAndJetStream(t *testing.T) {
	t.Parallel()
	url := NATS(t)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	// Core NATS: what is published reaches a subscriber.
	sub, err := nc.SubscribeSync("parley.smoke")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("parley.smoke", []byte("ping")); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if string(msg.Data) != "ping" {
		t.Fatalf("received %q, want ping", msg.Data)
	}

	// JetStream: a message put in a stream is read back by its sequence.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "SMOKE", Subjects: []string{"smoke.>"}})
	if err != nil {
		t.Fatal(err)
	}
	ack, err := js.Publish(ctx, "smoke.batch", []byte("batch 1"))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := stream.GetMsg(ctx, ack.Sequence)
	if err != nil {
		t.Fatal(err)
	}
	if string(stored.Data) != "batch 1" || stored.Subject != "smoke.batch" {
		t.Fatalf("stream message %d is %q on %s, want \"batch 1\" on smoke.batch", ack.Sequence, stored.Data, stored.Subject)
	}
}

// One object in two parts, as cluster mode's uploads will be (S3's
// minimum part size is 5 MiB, except for the last).
func TestS3MultipartRoundTrip(t *testing.T) {
	t.Parallel()
	endpoint, access, secret, bucket := S3(t)
	client, err := minio.NewCore(endpoint, &minio.Options{Creds: credentials.NewStaticV4(access, secret, "")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	data := make([]byte, 6<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	const partSize = 5 << 20
	const object = "files/smoke"
	id, err := client.NewMultipartUpload(ctx, bucket, object, minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var parts []minio.CompletePart
	for i, off := 1, 0; off < len(data); i, off = i+1, off+partSize {
		chunk := data[off:min(off+partSize, len(data))]
		part, err := client.PutObjectPart(ctx, bucket, object, id, i, bytes.NewReader(chunk), int64(len(chunk)), minio.PutObjectPartOptions{})
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		parts = append(parts, minio.CompletePart{PartNumber: i, ETag: part.ETag})
	}
	if len(parts) != 2 {
		t.Fatalf("uploaded %d parts, want 2", len(parts))
	}
	if _, err := client.CompleteMultipartUpload(ctx, bucket, object, id, parts, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}

	r, info, _, err := client.GetObject(ctx, bucket, object, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256(data); n != int64(len(data)) || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("read back %d bytes with SHA-256 %x, want %d bytes with %x", n, h.Sum(nil), len(data), want)
	}
	// A multipart object's ETag ends in -<number of parts>.
	if !strings.HasSuffix(strings.Trim(info.ETag, `"`), "-2") {
		t.Fatalf("ETag %s: not an object of 2 parts", info.ETag)
	}
}

// A service that exits before it answers fails with its output, not after
// the whole ready timeout.
func TestServiceThatExitsReportsItsLog(t *testing.T) {
	dir := t.TempDir()
	p, err := startProcess("broken", filepath.Join(dir, "broken.log"), nil, nil,
		"sh", "-c", "echo 'FATAL: no configuration' >&2; exit 3")
	if err != nil {
		t.Fatal(err)
	}
	err = p.waitReady(func() error { return os.ErrNotExist })
	if err == nil || !strings.Contains(err.Error(), "FATAL: no configuration") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("waitReady = %v, want the exit status and the log", err)
	}
}

// A service that does not exit when asked is killed.
func TestStopKillsAServiceThatIgnoresTheSignal(t *testing.T) {
	dir := t.TempDir()
	p, err := startProcess("stubborn", filepath.Join(dir, "stubborn.log"), nil, nil,
		"sh", "-c", "trap '' INT; echo started; while :; do sleep 1; done")
	if err != nil {
		t.Fatal(err)
	}
	started := func() error {
		if !strings.Contains(p.logTail(), "started") {
			return os.ErrNotExist
		}
		return nil
	}
	if err := p.waitReady(started); err != nil {
		t.Fatal(err)
	}
	if err := p.stop(os.Interrupt, 100*time.Millisecond); err == nil {
		t.Fatal("stop reported no error for a service it had to kill")
	}
	select {
	case <-p.exited:
	default:
		t.Fatal("still running after stop")
	}
}

func TestParseBuild(t *testing.T) {
	out := "postgres-bin=/usr/lib/postgresql/15/bin\npostgres-user=\nnats-server=/c/nats-server-v2.15.3/nats-server\nversitygw=/c/versitygw-v1.8.0/versitygw\n"
	s, err := parseBuild(out)
	if err != nil {
		t.Fatal(err)
	}
	want := services{postgresBin: "/usr/lib/postgresql/15/bin", natsServer: "/c/nats-server-v2.15.3/nats-server", versitygw: "/c/versitygw-v1.8.0/versitygw"}
	if s != want {
		t.Fatalf("parseBuild = %+v, want %+v", s, want)
	}
	// An older or broken script that leaves one out is an error naming it.
	_, err = parseBuild(strings.Replace(out, "versitygw=", "s3=", 1))
	if err == nil || !strings.Contains(err.Error(), "versitygw") {
		t.Fatalf("parseBuild without versitygw = %v, want an error naming it", err)
	}
}

// A service that finds its port taken (by another process since freePort
// chose it) is started again on another port.
func TestStartTriesAnotherPortWhenItsPortIsTaken(t *testing.T) {
	dir := t.TempDir()
	var tried []int
	launch := func(port int) (*process, error) {
		tried = append(tried, port)
		script := "echo 'could not bind: Address already in use' >&2; exit 1"
		if len(tried) > 1 {
			script = "echo listening; exec sleep 60"
		}
		return startProcess("fake", filepath.Join(dir, "fake.log"), nil, nil, "sh", "-c", script)
	}
	ready := func(port int) error {
		if len(tried) < 2 {
			return os.ErrNotExist
		}
		return nil
	}
	port := startOnFreePort(t, os.Interrupt, launch, ready)
	if len(tried) != 2 || tried[0] == tried[1] || port != tried[1] {
		t.Fatalf("tried ports %v and returned %d, want two different ports and the second", tried, port)
	}
}
