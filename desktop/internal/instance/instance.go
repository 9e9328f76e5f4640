// Package instance keeps one process of a kind per user (the tray): a lock
// held for the process's life, next to the agent's socket on unix (flock),
// a named mutex on Windows. The lock goes with the process, however it ends.
package instance

// Lock tries to take the lock called name. ok is false when another process
// holds it; release gives it up.
func Lock(name string) (release func(), ok bool, err error) { return lock(name) }

// Running reports whether a process holds the lock called name.
func Running(name string) bool {
	release, ok, err := lock(name)
	if err != nil {
		return false
	}
	if ok {
		release()
		return false
	}
	return true
}
