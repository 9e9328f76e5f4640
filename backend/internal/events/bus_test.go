package events

import (
	"slices"
	"testing"
)

func TestBusCoalescesAndRoutes(t *testing.T) {
	b := NewBus()
	alice := b.SubscribeUser("alice")
	bob := b.SubscribeUser("bob")
	all := b.SubscribeAll()

	b.Publish(Change{UserIDs: []string{"alice"}})
	b.Publish(Change{UserIDs: []string{"alice"}}) // coalesces: one pending signal
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
	b.Publish(Change{Everyone: true})
	if len(alice.c) != 1 || len(bob.c) != 1 {
		t.Fatal("a change for everyone missed a user")
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

// TestListenersFirstInOrder: listeners run in registration order before
// any subscription is signalled (the gateway acts before streams report).
func TestListenersFirstInOrder(t *testing.T) {
	b := NewBus()
	sub := b.SubscribeUser("alice")
	var order []string
	b.OnChange(func(Change) {
		order = append(order, "gateway")
		if len(sub.c) != 0 {
			t.Error("a stream was signalled before the gateway acted")
		}
	})
	b.OnChange(func(Change) { order = append(order, "scheduler") })
	b.Publish(Change{UserIDs: []string{"alice"}, Gateway: true})
	if !slices.Equal(order, []string{"gateway", "scheduler"}) || len(sub.c) != 1 {
		t.Fatalf("order %v, signalled %d", order, len(sub.c))
	}
}

func TestMerge(t *testing.T) {
	a := Change{UserIDs: []string{"a"}, NetworkID: "n1", Gateway: true}
	if m := a.Merge(Change{UserIDs: []string{"b"}, NetworkID: "n1", Mail: true}); m.NetworkID != "n1" || !m.Mail || !m.Gateway || len(m.UserIDs) != 2 {
		t.Fatalf("same network: %+v", m)
	}
	if m := a.Merge(Change{NetworkID: "n2", Gateway: true}); m.NetworkID != "" {
		t.Fatalf("two networks must sync all: %+v", m)
	}
	if m := (Change{UserIDs: []string{"x"}}).Merge(a); m.NetworkID != "n1" || !m.Gateway {
		t.Fatalf("a change without a network takes the other's: %+v", m)
	}
}

type recorder struct{ sent []Change }

func (r *recorder) Send(c Change) { r.sent = append(r.sent, c) }

// TestTransport: a change published here goes to the transport and to
// the local listeners and streams; one delivered from another replica
// reaches the listeners and streams only (it is never sent on again).
func TestTransport(t *testing.T) {
	b := NewBus()
	tr := &recorder{}
	b.SetTransport(tr)
	var heard []string
	b.OnChange(func(c Change) { heard = append(heard, c.NetworkID) })
	sub := b.SubscribeUser("alice")
	b.Publish(Change{NetworkID: "here", UserIDs: []string{"alice"}})
	<-sub.C
	b.Deliver(Change{NetworkID: "there", UserIDs: []string{"alice"}})
	<-sub.C
	if len(tr.sent) != 1 || tr.sent[0].NetworkID != "here" {
		t.Errorf("sent %+v, want only the change published here", tr.sent)
	}
	if !slices.Equal(heard, []string{"here", "there"}) {
		t.Errorf("listeners heard %v", heard)
	}
}
