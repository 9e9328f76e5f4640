//go:build !windows

package agentproc

import (
	"os/exec"
	"syscall"
)

// detach starts the process in its own session: it keeps running when the
// starter quits and gets no signal from the starter's terminal.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
