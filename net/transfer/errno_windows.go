package transfer

import "syscall"

// diskFullErrno reports Windows' ERROR_HANDLE_DISK_FULL and ERROR_DISK_FULL.
func diskFullErrno(e syscall.Errno) bool { return e == 39 || e == 112 }
