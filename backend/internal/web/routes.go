package web

import "net/http"

// Routes registers every route of the web page on mux, each with whom it
// is for (authz.go). GET routes never change anything; every POST needs
// the CSRF token.
func (s *Server) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.public(s.root))
	mux.HandleFunc("GET /admin", s.public(s.root))
	mux.HandleFunc("GET /admin/{$}", s.public(s.root))
	mux.HandleFunc("GET /admin/static/{file}", s.static)

	mux.HandleFunc("GET /admin/login", s.public(s.loginPage))
	mux.HandleFunc("POST /admin/login", s.public(s.login))
	mux.HandleFunc("POST /admin/logout", s.userAction(s.logout))
	mux.HandleFunc("GET /invite", s.public(s.invitePage))
	mux.HandleFunc("POST /invite", s.public(s.acceptInvite))

	// The request queue is also the approvers' (authz.go): their
	// networks' requests, to decide; revoking and bulk decisions stay with
	// the admins.
	mux.HandleFunc("GET /admin/requests", s.queuePage(s.requestsPage))
	mux.HandleFunc("GET /admin/requests/{id}", s.queuePage(s.requestPage))
	mux.HandleFunc("POST /admin/requests/bulk", s.action(s.bulk))
	mux.HandleFunc("POST /admin/requests/{id}/grant", s.queueAction(s.grant))
	mux.HandleFunc("POST /admin/requests/{id}/deny", s.queueAction(s.deny))
	mux.HandleFunc("POST /admin/requests/{id}/acknowledge", s.queueAction(s.acknowledge))
	mux.HandleFunc("POST /admin/requests/{id}/revoke", s.action(s.revoke))
	mux.HandleFunc("POST /admin/requests/{id}/grant-again", s.action(s.grantAgain))
	mux.HandleFunc("GET /admin/events", s.queuePage(s.events))

	mux.HandleFunc("GET /admin/networks", s.page(s.networksPage))
	mux.HandleFunc("GET /admin/networks/new", s.page(s.newNetworkPage))
	mux.HandleFunc("POST /admin/networks", s.action(s.createNetwork))
	mux.HandleFunc("GET /admin/networks/{id}", s.page(s.networkPage))
	mux.HandleFunc("GET /admin/networks/{id}/edit", s.page(s.editNetworkPage))
	mux.HandleFunc("POST /admin/networks/{id}", s.action(s.updateNetwork))
	mux.HandleFunc("POST /admin/networks/{id}/jit", s.action(s.toggleJIT))
	mux.HandleFunc("POST /admin/networks/{id}/delete", s.action(s.deleteNetwork))
	mux.HandleFunc("GET /admin/networks/{id}/requests", s.page(s.requestsPage))
	mux.HandleFunc("POST /admin/networks/{id}/gateways", s.action(s.addGateway))
	mux.HandleFunc("GET /admin/networks/{id}/preview", s.page(s.previewRules))
	mux.HandleFunc("GET /admin/networks/{id}/rules/new", s.page(s.newRulePage))
	mux.HandleFunc("POST /admin/networks/{id}/rules", s.action(s.createRule))
	mux.HandleFunc("GET /admin/rules/{id}/edit", s.page(s.editRulePage))
	mux.HandleFunc("POST /admin/rules/{id}", s.action(s.updateRule))
	mux.HandleFunc("POST /admin/rules/{id}/move", s.action(s.moveRule))
	mux.HandleFunc("POST /admin/rules/{id}/delete", s.action(s.deleteRule))
	mux.HandleFunc("GET /admin/gateways", s.page(s.gatewaysPage))
	mux.HandleFunc("POST /admin/gateways/{id}/revoke", s.action(s.revokeGateway))

	mux.HandleFunc("GET /admin/groups", s.page(s.groupsPage))
	mux.HandleFunc("POST /admin/groups", s.action(s.createGroup))
	mux.HandleFunc("GET /admin/groups/{id}", s.page(s.groupPage))
	mux.HandleFunc("POST /admin/groups/{id}", s.action(s.changeGroup))
	mux.HandleFunc("POST /admin/groups/{id}/delete", s.action(s.deleteGroup))

	mux.HandleFunc("GET /admin/users", s.page(s.usersPage))
	mux.HandleFunc("POST /admin/users", s.action(s.inviteUser))
	mux.HandleFunc("POST /admin/users/service", s.action(s.createServiceUser))
	mux.HandleFunc("POST /admin/users/{id}", s.action(s.updateUser))
	mux.HandleFunc("POST /admin/users/{id}/token", s.action(s.newServiceToken))
	mux.HandleFunc("GET /admin/users/{id}", s.page(s.userPage))
	mux.HandleFunc("POST /admin/devices/{id}/remove", s.action(s.removeDevice))

	mux.HandleFunc("GET /admin/settings", s.page(s.settingsPage))
	mux.HandleFunc("POST /admin/settings", s.action(s.saveSettings))
	mux.HandleFunc("POST /admin/settings/test-email", s.action(s.testEmail))

	mux.HandleFunc("GET /admin/audit", s.page(s.auditPage))
	mux.HandleFunc("GET /admin/outbox", s.page(s.outboxPage))
	mux.HandleFunc("POST /admin/outbox/retry-undeliverable", s.action(s.retryUndeliverable))
	mux.HandleFunc("POST /admin/outbox/{id}/retry", s.action(s.retryMail))

	mux.HandleFunc("/admin/", s.public(s.notFound))
	mux.HandleFunc("/", s.public(s.notFound))
}
