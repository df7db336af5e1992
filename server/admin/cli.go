package admin

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"parley/net/proto"
)

// DefaultCodeTTL is how long a new registration code stays valid unless
// create-code says otherwise.
const DefaultCodeTTL = 7 * 24 * time.Hour

// Usage lists the subcommands (`parley-server admin -h`).
const Usage = `usage: parley-server admin [-data DIR] COMMAND [ARGS]

Talks to the server running on the data folder (-data, or PARLEY_DATA;
default ./data) through its socket DIR/admin.sock. With no server running
it refuses.

commands:
  create-code [-uses N] [-expires DURATION]   make a registration code (default: 1 use, expires in 168h; -expires off: never)
  codes                                       list registration codes
  users                                       list users
  reset-password [-stdin] USER                set a new password (printed, or read from stdin) and log USER out everywhere
  disable USER                                refuse USER's logins and log them out everywhere
  enable USER                                 allow USER's logins again
  delete-group GROUP                          delete a group as its owner would
`

// Command runs `parley-server admin ARGS`: it parses args, sends the
// command to the running server and prints the result on stdout.
func Command(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("admin", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := getenv("PARLEY_DATA")
	if data == "" {
		data = "./data"
	}
	fs.StringVar(&data, "data", data, "data folder of the running server (PARLEY_DATA)")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		_, err := io.WriteString(stdout, Usage)
		return err
	} else if err != nil {
		return usageError(err.Error())
	}
	if fs.NArg() == 0 {
		return usageError("no command")
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	req := Request{Command: cmd}
	sub := flag.NewFlagSet(cmd, flag.ContinueOnError)
	sub.SetOutput(io.Discard)
	var (
		uses      int
		expires   string
		fromStdin bool
	)
	switch cmd {
	case CmdCreateCode:
		sub.IntVar(&uses, "uses", 1, "registrations that may use the code")
		sub.StringVar(&expires, "expires", DefaultCodeTTL.String(), "how long the code is valid, or off")
	case CmdResetPassword:
		sub.BoolVar(&fromStdin, "stdin", false, "read the new password from the first line of stdin")
	case CmdCodes, CmdUsers, CmdDisable, CmdEnable, CmdDeleteGroup:
	default:
		return usageError(fmt.Sprintf("unknown command %q", cmd))
	}
	if err := sub.Parse(rest); err != nil {
		return usageError(cmd + ": " + err.Error())
	}
	want := 0
	switch cmd {
	case CmdResetPassword, CmdDisable, CmdEnable, CmdDeleteGroup:
		want = 1
	}
	if sub.NArg() != want {
		return usageError(fmt.Sprintf("%s takes %d argument(s), not %d", cmd, want, sub.NArg()))
	}
	if want == 1 {
		id, err := strconv.ParseInt(sub.Arg(0), 10, 64)
		if err != nil || id <= 0 {
			return usageError(fmt.Sprintf("%s: %q is not an ID", cmd, sub.Arg(0)))
		}
		if cmd == CmdDeleteGroup {
			req.Group = proto.ConvID(id)
		} else {
			req.User = proto.UserID(id)
		}
	}
	switch cmd {
	case CmdCreateCode:
		if uses < 1 {
			return usageError("create-code: -uses must be at least 1")
		}
		req.Uses = uses
		if expires != "off" {
			d, err := time.ParseDuration(expires)
			if err != nil || d <= 0 {
				return usageError(fmt.Sprintf("create-code: -expires wants a duration like 24h, or off, not %q", expires))
			}
			req.TTLMs = d.Milliseconds()
		}
	case CmdResetPassword:
		if fromStdin {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("read the password from stdin: %w", err)
			}
			req.Password = strings.TrimRight(line, "\r\n")
			if req.Password == "" {
				return errors.New("reset-password -stdin: stdin holds no password")
			}
		}
	}

	r, err := Call(ctx, data, req)
	if err != nil {
		return err
	}
	if r.Error != "" {
		return fmt.Errorf("%s: %s", cmd, r.Error)
	}
	return show(stdout, req, r)
}

// show writes a reply as the README's "The admin command" shows it.
func show(w io.Writer, req Request, r Reply) error {
	switch req.Command {
	case CmdCreateCode:
		_, err := fmt.Fprintln(w, r.Code.Code)
		return err
	case CmdCodes:
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "CODE\tUSES\tEXPIRES\tSTATE\tCREATED")
		for _, c := range r.Codes {
			fmt.Fprintf(tw, "%s\t%d/%d\t%s\t%s\t%s\n", c.Code, c.Uses, c.MaxUses, stamp(c.Expires, "never"), c.State, stamp(c.Created, "-"))
		}
		return tw.Flush()
	case CmdUsers:
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tSESSIONS\tCREATED\tNAME")
		for _, u := range r.Users {
			status := "active"
			if u.Disabled {
				status = "disabled"
			}
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\n", u.ID, status, u.Sessions, stamp(u.Created, "-"), u.Name)
		}
		return tw.Flush()
	case CmdResetPassword:
		if r.Password != "" {
			_, err := fmt.Fprintln(w, r.Password)
			return err
		}
		_, err := fmt.Fprintf(w, "password of %d reset; their sessions are revoked\n", req.User)
		return err
	case CmdDisable:
		_, err := fmt.Fprintf(w, "user %d disabled; their sessions are revoked\n", req.User)
		return err
	case CmdEnable:
		_, err := fmt.Fprintf(w, "user %d enabled\n", req.User)
		return err
	case CmdDeleteGroup:
		_, err := fmt.Fprintf(w, "group %d (%s) deleted\n", r.Group.ID, r.Group.Name)
		return err
	}
	return nil
}

// stamp formats Unix ms as UTC RFC 3339, or zero as none.
func stamp(ms int64, none string) string {
	if ms == 0 {
		return none
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

// UsageError is a command line the admin command cannot run.
type UsageError string

func (e UsageError) Error() string { return string(e) + "\n\n" + Usage }

func usageError(s string) error { return UsageError(s) }
