// Package datadir prepares gatepass-server's data directory before anything
// is opened in it, and writes the private files kept there.
//
// The data directory holds the SQLite database (with its -wal and -shm
// files, which contain recent writes such as gateway private keys) and, with
// --demo, the demo credentials. Nobody but the server's own user may read
// it. Decisions:
//
//   - The directory must be mode 0700. A directory the server's user owns
//     that is group- or world-accessible is tightened to 0700 (and the
//     change logged); one owned by another user is refused, because changing
//     someone else's directory is not ours to decide and running in it would
//     leave our files readable through it.
//   - Every regular file directly in the directory that the server's user
//     owns and that is group- or world-accessible is tightened to 0600 (its
//     owner bits kept), so files written by older versions stop leaking.
//   - A missing directory whose parent exists is created 0700 (./data of
//     make run). A missing parent, a path that is a file, a directory on a
//     read-only file system or one this process cannot write are refused
//     with an *Error naming the path, the problem and the fix.
//   - Files are created 0600 whatever the umask (WriteFile, and the store
//     creates the database file 0600 so SQLite gives its -wal and -shm the
//     same mode). The gatepass-server command also sets the umask to 0077
//     (RestrictUmask) before it opens anything, for whatever else the
//     process creates.
//
// The ownership checks and the umask are Unix concepts; elsewhere only the
// existence and writability checks apply.
package datadir
