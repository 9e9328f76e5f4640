package client

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"gatepass.dev/shared/api"
)

// The gateways: the admin's calls, and those of gatepass-gateway itself
// (its token is its credential).

// AddGateway adds a remote gateway to a network (admin): the answer holds
// the one-time enroll token and the command to run on the gateway's host.
func (c *Client) AddGateway(ctx context.Context, networkID string, in api.GatewayInput) (api.NewGatewayResponse, error) {
	var out api.NewGatewayResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/admin/networks/"+url.PathEscape(networkID)+"/gateways", in, &out)
	return out, err
}

// Gateways lists the gateways that are not revoked (admin).
func (c *Client) Gateways(ctx context.Context) ([]api.Gateway, error) {
	var out api.GatewayList
	err := c.do(ctx, http.MethodGet, "/api/v1/admin/gateways", nil, &out)
	return out.Gateways, err
}

// RevokeGateway revokes a remote gateway (admin).
func (c *Client) RevokeGateway(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/admin/gateways/"+url.PathEscape(id), nil, nil)
}

// EnrollGateway enrolls a gateway with its enroll token and public key; the
// answer's credential is the gateway's token from then on.
func (c *Client) EnrollGateway(ctx context.Context, in api.GatewayEnrollRequest) (api.GatewayEnrollResponse, error) {
	var out api.GatewayEnrollResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/gateway/enroll", in, &out)
	return out, err
}

// GatewayReport sends a gateway's status report.
func (c *Client) GatewayReport(ctx context.Context, in api.GatewayReport) (api.GatewayReportResponse, error) {
	var out api.GatewayReportResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/gateway/report", in, &out)
	return out, err
}

// WatchGateway opens a gateway's watch stream and calls fn for every
// event, the state first, until ctx ends, the stream breaks or fn returns
// an error. leaseSeconds > 0 asks for a lease shorter than the server's
// (the pings come at a quarter of it).
func (c *Client) WatchGateway(ctx context.Context, leaseSeconds int, fn func(api.GatewayEvent) error) error {
	req := c.r.R().SetContext(ctx).SetDoNotParseResponse(true).SetHeader("Accept", "text/event-stream")
	if t := c.Token(); t != "" {
		req.SetAuthToken(t)
	}
	path := "/api/v1/gateway/watch"
	if leaseSeconds > 0 {
		path += "?lease_seconds=" + strconv.Itoa(leaseSeconds)
	}
	resp, err := req.Get(path)
	if err != nil {
		return err
	}
	body := resp.RawBody()
	defer body.Close()
	if resp.StatusCode() != http.StatusOK {
		var b strings.Builder
		sc := bufio.NewScanner(body)
		for sc.Scan() && b.Len() < 4096 {
			b.WriteString(sc.Text())
		}
		return DecodeError(resp.StatusCode(), []byte(b.String()))
	}
	return readJSONEvents(body, fn)
}
