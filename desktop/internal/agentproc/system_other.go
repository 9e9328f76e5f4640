//go:build !linux

package agentproc

// SystemSocket: only Linux has a per-user system unit (build/linux); on
// Windows and macOS a privileged agent is given with --socket or
// GATEPASS_SOCKET.
func SystemSocket() string { return "" }
