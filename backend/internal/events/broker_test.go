package events

import "testing"

func TestBrokerCoalescesAndRoutes(t *testing.T) {
	b := NewBroker()
	alice := b.SubscribeUser("alice")
	bob := b.SubscribeUser("bob")
	all := b.SubscribeAll()

	b.Publish("alice")
	b.Publish("alice") // coalesces: one pending signal
	if got := len(alice.c); got != 1 {
		t.Fatalf("alice pending signals = %d, want 1", got)
	}
	if len(bob.c) != 0 {
		t.Fatal("bob was signalled for alice's change")
	}
	if len(all.c) != 1 {
		t.Fatal("the all-changes subscriber missed the change")
	}
	<-alice.C
	b.PublishEveryone()
	if len(alice.c) != 1 || len(bob.c) != 1 {
		t.Fatal("PublishEveryone missed a user")
	}
	if b.Count() != 3 {
		t.Fatalf("Count = %d, want 3", b.Count())
	}
	alice.Close()
	bob.Close()
	all.Close()
	if b.Count() != 0 {
		t.Fatalf("Count after close = %d, want 0", b.Count())
	}
}
