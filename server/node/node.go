// Package node is the server's composition root: it opens storage, builds
// the hub and serves HTTP (the WebSocket, health, readiness and metrics).
// It is importable so that tests run a real server in-process; the server
// binary (parley/server) only parses flags and calls it.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"parley/net/proto"
	"parley/server/admin"
	"parley/server/auth"
	"parley/server/cluster"
	"parley/server/files"
	"parley/server/files/blobstore"
	"parley/server/hub"
	"parley/server/metrics"
	"parley/server/rtc"
	"parley/server/static"
	"parley/server/storage"
)

// Version is the server's version, reported in hello.
const Version = "0.1.0"

// Config configures a Node. Only DataDir is required.
type Config struct {
	DataDir string
	// DB is a PostgreSQL address (postgres://…) to keep the database in,
	// instead of SQLite in DataDir ("").
	DB string
	// NATS, with DB, makes this node one of a cluster: the address of the
	// NATS server the nodes share (server/cluster). NodeID names the node
	// there and in logs ("": a random one).
	NATS, NodeID string
	// Unpublished, if set (tests), drops this node's publish of the
	// commit positions it returns true for (cluster.Config.Unpublished).
	Unpublished func(pos int64) bool
	Logger      *slog.Logger

	// Synchronous is SQLite's synchronous mode, FULL (default) or NORMAL.
	Synchronous string
	// CheckpointFrames is how many WAL pages are written between two
	// checkpoints (0: storage's default).
	CheckpointFrames int
	// Argon2 overrides the password hashing cost (zero: auth.DefaultParams).
	Argon2 auth.Params
	// OriginPatterns allows browser clients from other origins.
	OriginPatterns []string
	// QueueLen is each connection's outgoing queue length (0: default).
	QueueLen int
	// Rate limits (zero values: the hub's defaults; Burst < 0: off).
	LoginUserLimit, LoginAddrLimit, RegisterLimit hub.Limit
	JoinUserLimit, JoinAddrLimit                  hub.Limit
	// DefaultPolicy is the join policy of groups created without one
	// ("": ask, proto.DefaultPolicy).
	DefaultPolicy string
	// NoRequests makes every new direct conversation accepted from the
	// start, even between people who share no group (storage.Options).
	// For tests of other features; production has requests.
	NoRequests bool
	// Now is the clock of the hub (rate limits) and of storage (message
	// times, link expiry); nil: time.Now. For tests.
	Now func() time.Time
	// TrustedProxies are reverse proxies whose X-Forwarded-For is believed
	// for the client's address (rate limits, logs).
	TrustedProxies []netip.Prefix
	// LoginTimeout and MaxConnsPerAddr are the hub's connection limits
	// (zero: the hub's defaults; negative: off).
	LoginTimeout    time.Duration
	MaxConnsPerAddr int
	// MaxFileSize refuses bigger uploads at creation (0: 4 GiB); FileQuota
	// bounds the bytes each user shares (0: no quota).
	MaxFileSize, FileQuota int64
	// MaxImagePixels bounds the pictures decoded for thumbnails (0:
	// thumbs.DefaultMaxPixels).
	MaxImagePixels int64
	// WebDir, if set, is a folder served at / (the browser app that
	// `make web` builds); WebFont and WebEmojiFont, if set, are font files
	// served at WebFontPath and WebEmojiFontPath, for the browser app's
	// Chinese text and emoji. Each file's precompressed siblings
	// (NAME.br, NAME.gz) are served to browsers that accept them
	// (package static).
	WebDir, WebFont, WebEmojiFont string
	// EditWindow is how long a sender may edit a message (0: the hub's
	// default, 48 h; negative: no bound).
	EditWindow time.Duration
	// Registration is who may register: hub.RegistrationOpen ("" too),
	// hub.RegistrationCodes or hub.RegistrationClosed.
	Registration string
	// AdminSocket makes the node answer the admin command on
	// DataDir/admin.sock (package admin); a node whose data folder
	// already has a server answering there does not start.
	AdminSocket bool
	// UDP carries call audio over UDP on these ports (package rtc;
	// nil or Off: UDP is off, calls use the WebSocket). UDPPublicIP is
	// the server's public address behind a 1:1 NAT ("": its own).
	UDP         *rtc.Ports
	UDPPublicIP string
	// S3, if set, keeps files (blobs and unfinished uploads) in this
	// S3-compatible bucket instead of the data folder: files in cluster
	// mode (files.Config.S3).
	S3 *blobstore.Config
	// UDPOptional: if UDP cannot start (its port is taken), log a
	// warning and run with UDP off rather than fail (-udp auto).
	UDPOptional bool
}

// WebFontPath and WebEmojiFontPath are where the node serves
// Config.WebFont and Config.WebEmojiFont.
const (
	WebFontPath      = "/fonts/cjk"
	WebEmojiFontPath = "/fonts/emoji"
)

// Node is one running server.
type Node struct {
	cfg     Config
	log     *slog.Logger
	db      storage.Store
	hub     *hub.Hub
	files   *files.Service
	reg     *metrics.Registry
	handler http.Handler
	admin   *admin.Server               // nil without Config.AdminSocket
	udp     *rtc.Server                 // nil: UDP off
	bus     atomic.Pointer[cluster.Bus] // nil: not in a cluster

	closeOnce sync.Once // closeStorage
	closeErr  error
}

// New opens the data folder and returns a ready Node.
func New(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("node: no data folder")
	}
	if cfg.NATS != "" && cfg.DB == "" {
		return nil, errors.New("node: a cluster (NATS) needs its shared database (PostgreSQL)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Argon2 == (auth.Params{}) {
		cfg.Argon2 = auth.DefaultParams
	}
	n := &Node{cfg: cfg, log: cfg.Logger, reg: metrics.NewRegistry()}
	if cfg.AdminSocket {
		// Before the database: a second server on the folder stops here.
		var err error
		if n.admin, err = admin.Listen(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	n.reg.RegisterRuntime()
	batchSeconds := n.reg.Histogram("parley_db_commit_seconds", "Time from the start of a write transaction to its commit.", metrics.LatencyBuckets)
	batchJobs := n.reg.Histogram("parley_db_commit_writes", "Writes grouped into one transaction.", []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512})
	checkpoints := n.reg.CounterVec("parley_db_checkpoints_total", "WAL checkpoints, beside the commits (passive) or resetting the log (restart).", "kind")
	checkpointSeconds := n.reg.Histogram("parley_db_checkpoint_seconds", "Time one WAL checkpoint took.", metrics.LatencyBuckets)
	walFrames := n.reg.Gauge("parley_db_wal_uncopied_pages", "WAL pages not yet copied into the database file, after the last checkpoint.")

	var h *hub.Hub // set below, before anything can commit
	db, sharedLimits, err := openStore(ctx, cfg, storage.Options{
		Synchronous:      cfg.Synchronous,
		CheckpointFrames: cfg.CheckpointFrames,
		NoRequests:       cfg.NoRequests,
		Now:              cfg.Now,
		Logger:           cfg.Logger,
		OnCommit: func(c []storage.Committed) {
			if cfg.NATS == "" {
				h.Publish(c)
			} // else the bus delivers every node's commits in clock order
		},
		OnClusterCommit: func(pos int64, c []storage.Committed) {
			if b := n.bus.Load(); b != nil {
				b.Committed(pos, c)
			}
		},
		OnBatch: func(jobs int, took time.Duration) {
			batchJobs.Observe(float64(jobs))
			batchSeconds.ObserveDuration(took)
		},
		OnCheckpoint: func(c storage.Checkpoint) {
			kind := "passive"
			switch {
			case c.Err != nil:
				kind = "failed"
				cfg.Logger.Error("checkpoint", "err", c.Err)
			case c.Restart:
				kind = "restart"
			}
			checkpoints.With(kind).Inc()
			checkpointSeconds.ObserveDuration(c.Took)
			walFrames.Set(int64(c.Frames - c.Copied))
		},
	})
	if err != nil {
		if n.admin != nil {
			n.admin.Close()
		}
		return nil, fmt.Errorf("open storage: %w", err)
	}
	if cfg.UDP != nil {
		n.udp, err = rtc.New(rtc.Config{Ports: *cfg.UDP, PublicIP: cfg.UDPPublicIP, Logger: cfg.Logger})
		if err != nil && cfg.UDPOptional {
			n.log.Warn("call audio over UDP is off; calls use the WebSocket", "err", err)
			n.udp, err = nil, nil
		}
		if err != nil {
			if n.admin != nil {
				n.admin.Close()
			}
			db.Close()
			return nil, err
		}
	}
	h = hub.New(hub.Config{
		Cluster:        busRef{&n.bus},
		DB:             db,
		Hasher:         auth.NewHasher(cfg.Argon2, runtime.GOMAXPROCS(0)),
		Logger:         cfg.Logger,
		Registry:       n.reg,
		ServerName:     "parley/" + Version,
		QueueLen:       cfg.QueueLen,
		OriginPatterns: cfg.OriginPatterns,
		LoginUserLimit: limitOr(cfg.LoginUserLimit, hub.DefaultLoginUserLimit),
		LoginAddrLimit: limitOr(cfg.LoginAddrLimit, hub.DefaultLoginAddrLimit),
		RegisterLimit:  limitOr(cfg.RegisterLimit, hub.DefaultRegisterLimit),
		JoinUserLimit:  limitOr(cfg.JoinUserLimit, hub.DefaultJoinUserLimit),
		JoinAddrLimit:  limitOr(cfg.JoinAddrLimit, hub.DefaultJoinAddrLimit),
		SharedLimits:   sharedLimits,
		DefaultPolicy:  cfg.DefaultPolicy,
		Registration:   cfg.Registration,
		Now:            cfg.Now,
		TrustedProxies: cfg.TrustedProxies,

		LoginTimeout:    cfg.LoginTimeout,
		MaxConnsPerAddr: cfg.MaxConnsPerAddr,
		EditWindow:      cfg.EditWindow,
		UDP:             n.udp,
		// n.files is set below, before any request is served.
		ReleaseBlob: func(ctx context.Context, sha string) { n.files.ReleaseBlob(ctx, sha) },
		MakePicture: func(ctx context.Context, user proto.UserID, group proto.ConvID, id string) (string, error) {
			return n.files.MakePicture(ctx, user, group, id)
		},
	})
	n.db, n.hub = db, h
	undo := func() {
		if n.admin != nil {
			n.admin.Close()
		}
		db.Close()
		if b := n.bus.Load(); b != nil {
			b.Close()
		}
		h.Close()
		if n.udp != nil {
			n.udp.Close()
		}
	}
	if cfg.NATS != "" {
		if err := n.joinCluster(ctx); err != nil {
			undo()
			return nil, fmt.Errorf("join the cluster: %w", err)
		}
	}
	var s3 *blobstore.S3
	if cfg.S3 != nil {
		s3, err = blobstore.OpenS3(ctx, *cfg.S3)
	}
	if err == nil {
		n.files, err = files.New(ctx, files.Config{
			DB: db, Authenticate: h.Authenticate, Direct: h.Direct, Dir: filepath.Join(cfg.DataDir, "files"), S3: s3,
			MaxFileSize: cfg.MaxFileSize, Quota: cfg.FileQuota, MaxImagePixels: cfg.MaxImagePixels, Logger: cfg.Logger,
		})
	}
	if err != nil {
		undo()
		return nil, fmt.Errorf("open files: %w", err)
	}
	if n.admin != nil {
		n.admin.Serve(&admin.Service{DB: db, Hub: h}, cfg.Logger)
	}

	mux := http.NewServeMux()
	mux.Handle("GET "+proto.WSPath, h)
	mux.Handle("/v1/files", n.files)
	mux.Handle("/v1/files/", n.files)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", n.ready)
	mux.HandleFunc("GET "+proto.JoinPathPrefix+"{token}", n.joinPage)
	mux.Handle("GET /metrics", n.reg.Handler())
	for route, file := range map[string]string{WebFontPath: cfg.WebFont, WebEmojiFontPath: cfg.WebEmojiFont} {
		if file == "" {
			continue
		}
		if st, err := os.Stat(file); err != nil || !st.Mode().IsRegular() {
			n.Shutdown(ctx)
			if err == nil {
				err = errors.New("not a regular file")
			}
			return nil, fmt.Errorf("web font for %s: %s: %w", route, file, err)
		}
		font := static.File(file)
		mux.HandleFunc("GET "+route, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=86400")
			font.ServeHTTP(w, r)
		})
	}
	if cfg.WebDir != "" {
		if _, err := os.Stat(filepath.Join(cfg.WebDir, "index.html")); err != nil {
			n.Shutdown(ctx)
			return nil, fmt.Errorf("web folder: %w", err)
		}
		// "/" rather than "GET /": a method would make it conflict with
		// the file routes, which take every method (static answers 405).
		mux.Handle("/", static.Dir(cfg.WebDir))
	} else {
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "Parley server %s. Clients connect to %s (protocol %s).\n", Version, proto.WSPath, proto.Subprotocol)
		})
	}
	n.handler = mux
	return n, nil
}

// openStore opens the node's storage: SQLite in the data folder, or the
// PostgreSQL database of cfg.DB. The rest of the node sees only
// storage.Store, and, on PostgreSQL, the rate limits' buckets that the
// nodes share (nil on SQLite: one server keeps them in memory, and a
// login costs no write).
func openStore(ctx context.Context, cfg Config, opts storage.Options) (storage.Store, storage.RateLimits, error) {
	if cfg.DB == "" {
		db, err := storage.Open(ctx, cfg.DataDir, opts)
		if err != nil {
			return nil, nil, err // not a nil *DB in a non-nil Store
		}
		return db, nil, nil
	}
	db, err := storage.OpenPostgres(ctx, cfg.DB, cfg.DataDir, opts)
	if err != nil {
		return nil, nil, err
	}
	return db, db, nil
}

// joinCluster starts the node's bus to the others (cfg.NATS), which
// delivers every node's commits to the hub, and its metrics.
func (n *Node) joinCluster(ctx context.Context) error {
	cfg, h := n.cfg, n.hub
	pg, _ := n.db.(*storage.DB) // OpenPostgres's
	bus, err := cluster.Start(ctx, cluster.Config{URL: cfg.NATS, Node: cfg.NodeID, Log: pg, Deliver: h.Publish, OnEvent: h.Remote, Logger: cfg.Logger,
		OnRequest: h.CallRequest, OnMedia: h.CallMedia,
		Lost:     func(from, to int64) { h.DropAll("this server lost messages: sync again") },
		PeerSeen: h.NodeSeen, PeerGone: h.NodeGone, Unpublished: cfg.Unpublished})
	if err != nil {
		return err
	}
	n.bus.Store(bus)
	n.log.Info("joined the cluster", "node", bus.Node(), "nats", cfg.NATS)
	n.reg.GaugeFunc("parley_cluster_position", "The last commit-clock position this node delivered.", func() float64 {
		applied, _ := bus.Applied()
		return float64(applied)
	})
	n.reg.GaugeFunc("parley_cluster_repaired", "Positions this node read from the commit log because the bus did not bring them (since start).", func() float64 {
		_, repairs := bus.Applied()
		return float64(repairs)
	})
	n.reg.GaugeFunc("parley_cluster_peers", "Other nodes heard from (heartbeats).", func() float64 { return float64(len(bus.Peers())) })
	n.reg.GaugeFunc("parley_cluster_bus_connected", "1 while this node is connected to NATS.", func() float64 {
		if bus.Connected() {
			return 1
		}
		return 0
	})
	return nil
}

// busRef is the hub's way to the cluster's bus, which starts after the
// hub (it delivers to it); nothing is published before.
type busRef struct{ b *atomic.Pointer[cluster.Bus] }

func (r busRef) Publish(kind string, payload any) {
	if b := r.b.Load(); b != nil {
		b.Publish(kind, payload)
	}
}

func (r busRef) SendTo(node, kind string, payload any) {
	if b := r.b.Load(); b != nil {
		b.SendTo(node, kind, payload)
	}
}

func (r busRef) Request(ctx context.Context, node, kind string, payload any) ([]byte, error) {
	if b := r.b.Load(); b != nil {
		return b.Request(ctx, node, kind, payload)
	}
	return nil, errors.New("not connected to the cluster yet")
}

func (r busRef) SendMedia(node string, data []byte) {
	if b := r.b.Load(); b != nil {
		b.SendMedia(node, data)
	}
}

func (r busRef) Node() string {
	if b := r.b.Load(); b != nil {
		return b.Node()
	}
	return ""
}

func limitOr(l, def hub.Limit) hub.Limit {
	switch {
	case l.Burst < 0:
		return hub.Limit{}
	case l.Burst == 0:
		return def
	}
	return l
}

// Handler serves every HTTP endpoint of the node.
func (n *Node) Handler() http.Handler { return n.handler }

// Hub is the node's connection hub (for HTTP endpoints and tests).
func (n *Node) Hub() *hub.Hub { return n.hub }

// DB is the node's storage.
func (n *Node) DB() storage.Store { return n.db }

func (n *Node) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := n.db.Ping(ctx); err != nil {
		n.log.Error("readiness check failed", "err", err)
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// Shutdown runs the shutdown stages after "http" (see ShutdownStages),
// with the default budgets: call it after the HTTP server has stopped
// accepting. ctx, if it ends first, cuts every stage short. Calling it
// again is harmless.
func (n *Node) Shutdown(ctx context.Context) error {
	return RunStages(ctx, n.log, n.ShutdownStages(DefaultShutdownBudgets, nil)...)
}

// UDPPort is the one UDP port that carries call audio (0: UDP off, or a
// port range).
func (n *Node) UDPPort() int {
	if n.udp == nil {
		return 0
	}
	return n.udp.Port()
}
