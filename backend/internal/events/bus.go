// Package events is the one change-notification path of the backend. A
// service that committed a change Publishes a Change on the Bus; the Bus
// first calls its listeners in order (the gateway, so that a removed
// grant's peer is gone before anyone is told; the expiry scheduler; the
// outbox worker), then signals the subscriptions whose user it concerns
// (the API's SSE streams) and every all-changes subscription (the admin
// pages' live updates).
//
// A signal carries no data: a stream that wakes recomputes what it shows
// from the database, so a slow stream only ever skips intermediate states,
// never loses the latest one, and never blocks the publisher.
//
// # Several replicas
//
// With several gatepass-server replicas on one database, a change made on
// one must reach the listeners and streams of all. A Transport carries it:
// Publish hands every change to the transport first (the smallest window
// between the commit and the other replicas hearing of it), then delivers
// it here; a change that arrives from another replica is delivered with
// Deliver — to the listeners and subscriptions, and never sent on again.
// The one transport is PostgreSQL's LISTEN/NOTIFY (package pgnotify). A
// transport that may have missed changes (its connection broke) delivers
// Resync, which makes everything here look again. A replica that dies
// between its commit and its notification leaves the others to find the
// change by themselves: the gateway hub, the expiry scheduler and the
// outbox worker look again at least every minute (their resync), and
// streams on the next change they hear of.
package events

import "sync"

// Change describes a committed change. It travels between replicas as
// JSON (the short keys keep notifications small).
type Change struct {
	// UserIDs are the users whose view (networks, requests, session) may
	// have changed; their streams re-check.
	UserIDs []string `json:"u,omitempty"`
	// NetworkID is the network that changed, or "" for several (or none).
	NetworkID string `json:"n,omitempty"`
	// Everyone: every user's view may have changed (a network was edited).
	Everyone bool `json:"e,omitempty"`
	// Gateway: who may pass a gateway may have changed (NetworkID's, or
	// every network's when NetworkID is "").
	Gateway bool `json:"g,omitempty"`
	// Schedule: the next timed event (an expiry, a pending timeout) may
	// have moved.
	Schedule bool `json:"s,omitempty"`
	// Mail: outbox rows were written.
	Mail bool `json:"m,omitempty"`
	// Timed marks the expiry scheduler's sweeps: the gateway already acted
	// on its own timer at each expires_at.
	Timed bool `json:"t,omitempty"`
}

// Resync is the change that makes every listener and stream look again:
// what a transport delivers when it may have missed changes.
var Resync = Change{Everyone: true, Gateway: true, Schedule: true, Mail: true}

// Transport carries changes to the other replicas (see the package doc).
type Transport interface {
	// Send passes a change published here on to the other replicas. It
	// must not block for long: the publisher waits.
	Send(c Change)
}

// Merge returns c with o's users and flags added; the network becomes ""
// when the two name different ones.
func (c Change) Merge(o Change) Change {
	c.UserIDs = append(append([]string(nil), c.UserIDs...), o.UserIDs...)
	if c.NetworkID != o.NetworkID {
		if c.NetworkID == "" && !c.Gateway {
			c.NetworkID = o.NetworkID
		} else if o.NetworkID != "" || o.Gateway {
			c.NetworkID = ""
		}
	}
	c.Everyone = c.Everyone || o.Everyone
	c.Gateway = c.Gateway || o.Gateway
	c.Schedule = c.Schedule || o.Schedule
	c.Mail = c.Mail || o.Mail
	c.Timed = c.Timed && o.Timed
	return c
}

// Bus delivers changes to listeners and subscriptions.
type Bus struct {
	mu        sync.Mutex
	listeners []func(Change)
	byUser    map[string]map[*Sub]struct{}
	all       map[*Sub]struct{}
	transport Transport
}

// SetTransport makes the bus pass every change it publishes on to the
// other replicas through t.
func (b *Bus) SetTransport(t Transport) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.transport = t
}

// NewBus returns an empty bus.
func NewBus() *Bus {
	return &Bus{byUser: map[string]map[*Sub]struct{}{}, all: map[*Sub]struct{}{}}
}

// OnChange registers fn to be called, in registration order, for every
// published change. fn must not block for long: the publisher waits.
func (b *Bus) OnChange(fn func(Change)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.listeners = append(b.listeners, fn)
}

// Publish delivers a committed change made here: to the transport (the
// other replicas), to every listener, then as a signal to the
// subscriptions it concerns.
func (b *Bus) Publish(c Change) {
	b.mu.Lock()
	t := b.transport
	b.mu.Unlock()
	if t != nil {
		t.Send(c)
	}
	b.Deliver(c)
}

// Deliver delivers a change here only — to every listener, then as a
// signal to the subscriptions it concerns — and does not pass it on: a
// change that another replica made and its transport brought.
func (b *Bus) Deliver(c Change) {
	b.mu.Lock()
	ls := append([]func(Change){}, b.listeners...)
	b.mu.Unlock()
	for _, fn := range ls {
		fn(c)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.Everyone {
		for _, m := range b.byUser {
			for s := range m {
				signal(s)
			}
		}
	} else {
		for _, u := range c.UserIDs {
			for s := range b.byUser[u] {
				signal(s)
			}
		}
	}
	for s := range b.all {
		signal(s)
	}
}

// Sub is one subscription. C receives a value when something it watches
// changed; signals coalesce while the reader is busy.
type Sub struct {
	C      <-chan struct{}
	c      chan struct{}
	userID string // "" for an all-changes subscription
	b      *Bus
}

// SubscribeUser watches changes that concern one user.
func (b *Bus) SubscribeUser(userID string) *Sub {
	s := newSub(b, userID)
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.byUser[userID]
	if m == nil {
		m = map[*Sub]struct{}{}
		b.byUser[userID] = m
	}
	m[s] = struct{}{}
	return s
}

// SubscribeAll watches every change.
func (b *Bus) SubscribeAll() *Sub {
	s := newSub(b, "")
	b.mu.Lock()
	defer b.mu.Unlock()
	b.all[s] = struct{}{}
	return s
}

func newSub(b *Bus, userID string) *Sub {
	c := make(chan struct{}, 1)
	return &Sub{C: c, c: c, userID: userID, b: b}
}

// Close ends the subscription.
func (s *Sub) Close() {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.userID == "" {
		delete(b.all, s)
		return
	}
	if m := b.byUser[s.userID]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(b.byUser, s.userID)
		}
	}
}

// Count returns the number of open subscriptions.
func (b *Bus) Count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.all)
	for _, m := range b.byUser {
		n += len(m)
	}
	return n
}

func signal(s *Sub) {
	select {
	case s.c <- struct{}{}:
	default:
	}
}
