package main

import (
	"context"
	"fmt"
	"time"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/client"
)

// policies: before the window opens, put the demo's policies on screen —
// office-network granted by the on-call rule with a longer extension
// waiting for an admin, and production-db (two approvals) approved once —
// so the screenshot (window-policies.png) shows "1 of 2 approvals", the
// pending extension and the rule that granted.
var policies bool

func policyScene(ctx context.Context, lc *localapi.Client, server string, creds map[string][2]string) error {
	if _, err := lc.Request(ctx, "office-network", "Printer queue stuck (INC-4411)", time.Hour); err != nil {
		return fmt.Errorf("request office-network (the on-call rule grants it): %w", err)
	}
	if err := waitFor(ctx, 10*time.Second, "office-network active", func() bool {
		st, err := lc.Status(ctx)
		n, _ := st.NetworkByName("office-network")
		return err == nil && n.State == api.StateActive
	}); err != nil {
		return err
	}
	if _, err := lc.Extend(ctx, "office-network", "The vendor's call runs late", 3*time.Hour); err != nil {
		return fmt.Errorf("extend office-network beyond the rule (pending): %w", err)
	}
	if _, err := lc.Request(ctx, "production-db", "Migrate the orders table (CHG-2207)", 2*time.Hour); err != nil {
		return fmt.Errorf("request production-db: %w", err)
	}
	approver := client.New(server)
	if _, err := approver.Login(ctx, creds["approver"][0], creds["approver"][1]); err != nil {
		return fmt.Errorf("approver login: %w", err)
	}
	list, err := approver.AdminRequests(ctx, client.RequestQuery{Status: string(api.StatusPending)})
	if err != nil {
		return fmt.Errorf("the approver's queue: %w", err)
	}
	for _, r := range list.Requests {
		if r.NetworkName == "production-db" && r.Kind == api.KindAccess {
			if _, err := approver.Approve(ctx, r.ID, 2*time.Hour); err != nil {
				return fmt.Errorf("first approval: %w", err)
			}
			return waitFor(ctx, 10*time.Second, "production-db 1 of 2", func() bool {
				st, err := lc.Status(ctx)
				n, _ := st.NetworkByName("production-db")
				return err == nil && n.Request != nil && len(n.Request.Approvals) == 1
			})
		}
	}
	return fmt.Errorf("no pending production-db request in the approver's queue (%d requests)", len(list.Requests))
}
