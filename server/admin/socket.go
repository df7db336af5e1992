package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Socket mode: read and write for the owner only. Connecting to a Unix
// socket needs write permission on it, so no other account can.
const socketMode fs.FileMode = 0o600

// maxRequest bounds one request line.
const maxRequest = 64 << 10

// requestTimeout bounds one connection: reading the request, running it
// and writing the reply.
const requestTimeout = time.Minute

// ErrNotRunning is wrapped by Call's error when no server answers on the
// data folder's socket.
var ErrNotRunning = errors.New("no server is running")

// Server is the admin socket of a running server.
type Server struct {
	ln   *net.UnixListener
	path string
	log  *slog.Logger
	svc  *Service
	wg   sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// Listen creates the admin socket in dir (creating dir, 0700, if need
// be), before the server opens its database: if another server already
// answers on it, Listen fails, and the second server does not start. A
// socket left behind by a server that stopped without removing it is
// replaced. The socket never exists with a wider mode than 0600: it is
// made in a private folder, then moved into place. Call Serve to answer.
func Listen(dir string) (*Server, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("admin socket: create data folder: %w", err)
	}
	path := filepath.Join(dir, SocketName)
	if c, err := net.DialTimeout("unix", path, 5*time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("another server is running on the data folder %s (it answers on %s)", dir, path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("admin socket: remove the stale %s: %w", path, err)
	}
	tmp, err := os.MkdirTemp(dir, ".admin-")
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	defer os.RemoveAll(tmp)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(tmp, SocketName), Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("admin socket (a data folder path too long for a socket?): %w", err)
	}
	ln.SetUnlinkOnClose(false) // it moves: Close removes it by its final path
	if err := os.Chmod(filepath.Join(tmp, SocketName), socketMode); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	if err := os.Rename(filepath.Join(tmp, SocketName), path); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	return &Server{ln: ln, path: path, conns: map[net.Conn]struct{}{}}, nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

// Serve answers admin requests with svc until Close.
func (s *Server) Serve(svc *Service, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s.svc, s.log = svc, log
	s.wg.Go(s.accept)
}

func (s *Server) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if !closed {
				s.log.Error("admin socket: accept", "err", err)
			}
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Go(func() { s.serve(c) })
		s.mu.Unlock()
	}
}

func (s *Server) serve(c net.Conn) {
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	c.SetDeadline(time.Now().Add(requestTimeout))
	var reply Reply
	var req Request
	if err := json.NewDecoder(io.LimitReader(c, maxRequest)).Decode(&req); err != nil {
		reply.Error = "bad request: " + err.Error()
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		reply = s.svc.Do(ctx, req)
		cancel()
		s.log.Info("admin command", "command", req.Command, "user", req.User, "group", req.Group, "err", reply.Error)
	}
	b, err := json.Marshal(reply)
	if err != nil {
		s.log.Error("admin socket: encode reply", "err", err)
		return
	}
	if _, err := c.Write(append(b, '\n')); err != nil {
		s.log.Warn("admin socket: write reply", "err", err)
	}
}

// Close stops accepting, waits for the commands under way and removes
// the socket. Calling it again is harmless.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for c := range s.conns {
		c.Close() // a command under way finishes; its reply is lost
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	return err
}

// Call sends req to the server running on the data folder dir and
// returns its reply. With no server there, the error wraps ErrNotRunning.
func Call(ctx context.Context, dir string, req Request) (Reply, error) {
	path := filepath.Join(dir, SocketName)
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if errors.Is(err, fs.ErrPermission) {
		return Reply{}, fmt.Errorf("%s: permission denied: run the admin command as the account the server runs as", path)
	}
	if err != nil {
		return Reply{}, fmt.Errorf("%w on the data folder %s (nothing answers on %s): the admin command works through the running server; start it with the same -data and try again", ErrNotRunning, dir, path)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	b, err := json.Marshal(req)
	if err != nil {
		return Reply{}, fmt.Errorf("encode admin request: %w", err)
	}
	if _, err := c.Write(append(b, '\n')); err != nil {
		return Reply{}, fmt.Errorf("send admin request: %w", err)
	}
	var r Reply
	if err := json.NewDecoder(bufio.NewReader(c)).Decode(&r); err != nil {
		return Reply{}, fmt.Errorf("read admin reply: %w", err)
	}
	return r, nil
}
