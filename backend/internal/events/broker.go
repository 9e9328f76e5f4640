// Package events fans out "something changed" signals from the lifecycle to
// the open SSE streams. A signal carries no data: a stream that wakes
// recomputes what it shows from the database, so a slow stream only ever
// skips intermediate states, never loses the latest one, and never blocks
// the publisher.
package events

import "sync"

// Broker delivers change signals to subscribers of a user, and to the
// subscribers of everything (the admin pages).
type Broker struct {
	mu     sync.Mutex
	byUser map[string]map[*Sub]struct{}
	all    map[*Sub]struct{}
}

// Sub is one subscription. C receives a value when something it watches
// changed; signals coalesce while the reader is busy.
type Sub struct {
	C      <-chan struct{}
	c      chan struct{}
	userID string // "" for an all-changes subscription
	b      *Broker
}

// NewBroker returns an empty broker.
func NewBroker() *Broker {
	return &Broker{byUser: map[string]map[*Sub]struct{}{}, all: map[*Sub]struct{}{}}
}

// SubscribeUser watches changes that concern one user.
func (b *Broker) SubscribeUser(userID string) *Sub {
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
func (b *Broker) SubscribeAll() *Sub {
	s := newSub(b, "")
	b.mu.Lock()
	defer b.mu.Unlock()
	b.all[s] = struct{}{}
	return s
}

func newSub(b *Broker, userID string) *Sub {
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

// Publish signals the subscribers of the given users and every all-changes
// subscriber.
func (b *Broker) Publish(userIDs ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, u := range userIDs {
		for s := range b.byUser[u] {
			signal(s)
		}
	}
	for s := range b.all {
		signal(s)
	}
}

// PublishEveryone signals every subscriber (a network changed).
func (b *Broker) PublishEveryone() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.byUser {
		for s := range m {
			signal(s)
		}
	}
	for s := range b.all {
		signal(s)
	}
}

// Count returns the number of open subscriptions.
func (b *Broker) Count() int {
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
