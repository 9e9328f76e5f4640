// Package replicas holds the tests of several gatepass-server replicas on
// one PostgreSQL database (a throwaway cluster: package pgtest; skipped
// loudly where PostgreSQL is not installed): replicas in-process
// (backendtest.NewReplicas) behind a round-robin TCP proxy standing in for
// the load balancer (backendtest.Balancer), and the real gatepass-server
// binary killed with SIGKILL in the middle of a burst of approvals. The
// benchmarks of approvals and of the delay of an event from one replica to
// another are here too.
package replicas
