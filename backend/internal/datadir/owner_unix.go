//go:build unix

package datadir

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// RestrictUmask sets the process's umask to 0077, so that nothing it
// creates is readable by other users even where a mode is not given.
// It affects the whole process: call it first thing in main.
func RestrictUmask() { syscall.Umask(0o077) }

func ownerOf(fi fs.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, true
}

func euid() uint32 { return uint32(os.Geteuid()) }

func whoami() string { return fmt.Sprintf("uid %d", os.Geteuid()) }
