//go:build windows

package agentproc

import (
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// detach starts the process without a console window, in its own process
// group, so it keeps running when the starter quits.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		HideWindow:    true,
		CreationFlags: windows.CREATE_NEW_PROCESS_GROUP | windows.DETACHED_PROCESS,
	}
}
