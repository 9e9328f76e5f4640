package agentproc

import (
	"os/user"
	"path/filepath"
)

// SystemSocket is where the gatepassd@USER systemd unit (build/linux)
// serves this user: /run/gatepass/USER/gatepassd.sock.
func SystemSocket() string {
	u, err := user.Current()
	if err != nil || u.Username == "" {
		return ""
	}
	return filepath.Join("/run/gatepass", u.Username, "gatepassd.sock")
}
