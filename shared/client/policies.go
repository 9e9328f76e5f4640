package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"gatepass.dev/shared/api"
)

// The calls of the policies: groups, rules and their preview, scheduled
// requests, extensions, break-glass, acknowledgements, request patterns
// and service users.

func seconds(d time.Duration) *int64 {
	if d == 0 {
		return nil
	}
	s := int64(d / time.Second)
	return &s
}

// Groups lists every group (admin).
func (c *Client) Groups(ctx context.Context) ([]api.Group, error) {
	var out api.GroupList
	err := c.do(ctx, http.MethodGet, "/api/v1/admin/groups", nil, &out)
	return out.Groups, err
}

// CreateGroup creates a group (admin).
func (c *Client) CreateGroup(ctx context.Context, in api.GroupInput) (api.Group, error) {
	var out api.GroupResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/admin/groups", in, &out)
	return out.Group, err
}

// UpdateGroup changes a group's name or members (admin).
func (c *Client) UpdateGroup(ctx context.Context, id string, in api.GroupInput) (api.Group, error) {
	var out api.GroupResponse
	err := c.do(ctx, http.MethodPatch, "/api/v1/admin/groups/"+url.PathEscape(id), in, &out)
	return out.Group, err
}

// DeleteGroup deletes a group (admin).
func (c *Client) DeleteGroup(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/admin/groups/"+url.PathEscape(id), nil, nil)
}

// Rules lists a network's rules in evaluation order (admin).
func (c *Client) Rules(ctx context.Context, networkID string) ([]api.Rule, error) {
	var out api.RuleList
	err := c.do(ctx, http.MethodGet, "/api/v1/admin/networks/"+url.PathEscape(networkID)+"/rules", nil, &out)
	return out.Rules, err
}

// CreateRule adds a rule to a network (admin).
func (c *Client) CreateRule(ctx context.Context, networkID string, in api.RuleInput) (api.Rule, error) {
	var out api.RuleResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/admin/networks/"+url.PathEscape(networkID)+"/rules", in, &out)
	return out.Rule, err
}

// UpdateRule changes a rule (admin).
func (c *Client) UpdateRule(ctx context.Context, id string, in api.RuleInput) (api.Rule, error) {
	var out api.RuleResponse
	err := c.do(ctx, http.MethodPatch, "/api/v1/admin/rules/"+url.PathEscape(id), in, &out)
	return out.Rule, err
}

// DeleteRule deletes a rule (admin).
func (c *Client) DeleteRule(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/admin/rules/"+url.PathEscape(id), nil, nil)
}

// PreviewRules says which rule a hypothetical request would meet (admin).
func (c *Client) PreviewRules(ctx context.Context, networkID string, in api.PreviewRequest) (api.Preview, error) {
	var out api.Preview
	err := c.do(ctx, http.MethodPost, "/api/v1/admin/networks/"+url.PathEscape(networkID)+"/rules/preview", in, &out)
	return out, err
}

// RequestWith files a request with every field of api.NewRequest (a
// scheduled start, say).
func (c *Client) RequestWith(ctx context.Context, networkID string, in api.NewRequest) (api.Request, error) {
	return c.requestAction(ctx, "/api/v1/networks/"+url.PathEscape(networkID)+"/requests", in)
}

// Extend asks for d more on an active grant.
func (c *Client) Extend(ctx context.Context, grantID, reason string, d time.Duration) (api.Request, error) {
	return c.requestAction(ctx, "/api/v1/requests/"+url.PathEscape(grantID)+"/extend", api.ExtendRequest{Reason: reason, DurationSeconds: seconds(d)})
}

// BreakGlass takes emergency access to a network for d (zero: the
// network's break-glass maximum).
func (c *Client) BreakGlass(ctx context.Context, networkID, reason string, d time.Duration) (api.Request, error) {
	return c.requestAction(ctx, "/api/v1/networks/"+url.PathEscape(networkID)+"/break-glass", api.BreakGlassRequest{Reason: reason, DurationSeconds: seconds(d)})
}

// Acknowledge records an approver's review of a break-glass access.
func (c *Client) Acknowledge(ctx context.Context, id, note string) (api.Request, error) {
	return c.requestAction(ctx, "/api/v1/admin/requests/"+url.PathEscape(id)+"/acknowledge", api.AcknowledgeRequest{Note: note})
}

// Patterns returns how often a request's user asked for its network lately.
func (c *Client) Patterns(ctx context.Context, requestID string) (api.Patterns, error) {
	var out api.Patterns
	err := c.do(ctx, http.MethodGet, "/api/v1/admin/requests/"+url.PathEscape(requestID)+"/patterns", nil, &out)
	return out, err
}

// CreateServiceUser creates a service user and returns its API token,
// shown once (admin).
func (c *Client) CreateServiceUser(ctx context.Context, email, name string) (api.User, string, error) {
	var out api.UserResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/admin/users", api.UserInput{Email: email, Name: name, Service: true}, &out)
	return out.User, out.Token, err
}

// NewServiceToken gives a service user a new API token, ending its others
// (admin).
func (c *Client) NewServiceToken(ctx context.Context, userID string) (api.ServiceTokenResponse, error) {
	var out api.ServiceTokenResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/admin/users/"+url.PathEscape(userID)+"/token", nil, &out)
	return out, err
}
