//go:build !windows

package transfer

import "syscall"

// diskFullErrno reports errno values meaning a full disk besides ENOSPC.
func diskFullErrno(e syscall.Errno) bool { return e == syscall.EDQUOT }
