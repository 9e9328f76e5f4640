package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"gatepass.dev/backend/backendtest"
	"gatepass.dev/desktop/internal/agent"
	"gatepass.dev/shared/api"
	"gatepass.dev/shared/wgkey"
)

// newDevice registers a device of email from a client of its own.
func newDevice(t *testing.T, srv *backendtest.Server, email, name string) api.Device {
	t.Helper()
	key, err := wgkey.NewPrivate()
	if err != nil {
		t.Fatal(err)
	}
	dev, err := srv.Login(t, email, backendtest.UserPassword).RegisterDevice(t.Context(), name, key.Public().String())
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	return dev
}

// lineOf returns the line of out whose first field is name.
func lineOf(out, name string) string {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == name {
			return line
		}
	}
	return ""
}

func TestDevicesCLI(t *testing.T) {
	srv := backendtest.NewServer(t)
	admin := srv.Admin(t)
	const email = "carol@example.com"
	srv.NewUser(t, email, api.RoleUser)
	srv.NewNetwork(t, "office-network")
	sock, _ := startAgent(t, srv.URL, t.TempDir(), "--log-level", "debug")
	host, _ := os.Hostname()
	if code, _, errOut := cli(t, "", "devices", "--socket", sock); code != 1 || !strings.Contains(errOut, "not signed in") {
		t.Errorf("devices while signed out: %d %q", code, errOut)
	}
	if code, out, errOut := cli(t, backendtest.UserPassword+"\n", "login", "--socket", sock, "--email", email, "--password-stdin"); code != 0 {
		t.Fatalf("login: %d %q %q", code, out, errOut)
	}
	old := newDevice(t, srv, email, "old-pc")
	newDevice(t, srv, email, "twin")
	newDevice(t, srv, email, "twin")

	// The table: this device marked and seen (its watch is open), the
	// others never seen.
	var out, errOut string
	backendtest.WaitFor(t, "this device seen", func() bool {
		_, out, _ = cli(t, "", "devices", "--socket", sock)
		return strings.Contains(lineOf(out, host), "just now")
	})
	if !strings.HasPrefix(strings.Fields(out)[0], "NAME") || !strings.Contains(out, "LAST SEEN") {
		t.Errorf("no header:\n%s", out)
	}
	if l := lineOf(out, host); !strings.HasSuffix(strings.TrimSpace(l), "* this device") {
		t.Errorf("this device not marked:\n%s", out)
	}
	if l := lineOf(out, "old-pc"); !strings.Contains(l, "never") || !strings.Contains(l, old.ID) || strings.Contains(l, "this device") ||
		!strings.Contains(l, old.CreatedAt.Local().Format("2006-01-02 15:04")) {
		t.Errorf("old-pc's line:\n%s", out)
	}

	// --json: the LocalAPI's Devices.
	code, js, _ := cli(t, "", "devices", "--json", "--socket", sock)
	var list map[string]any
	if code != 0 || json.Unmarshal([]byte(js), &list) != nil {
		t.Fatalf("devices --json: %d %s", code, js)
	}
	if _, ok := list["server_time"]; !ok {
		t.Errorf("devices --json lacks server_time: %s", js)
	}
	devs, _ := list["devices"].([]any)
	if len(devs) != 4 {
		t.Fatalf("devices --json: %s", js)
	}
	current := 0
	for _, d := range devs {
		m := d.(map[string]any)
		for _, k := range []string{"id", "name", "public_key", "addresses", "created_at", "last_seen_at", "current"} {
			if _, ok := m[k]; !ok {
				t.Errorf("a device lacks %q: %v", k, m)
			}
		}
		if m["current"] == true {
			current++
			if m["name"] != host {
				t.Errorf("current device %v, want %q", m, host)
			}
		}
	}
	if current != 1 {
		t.Errorf("%d current devices", current)
	}

	// Remove by name, off a terminal: no question asked.
	code, out, errOut = cli(t, "", "devices", "remove", "old-pc", "--socket", sock)
	if code != 0 || !strings.Contains(out, "Removed the device old-pc ("+old.ID+")") || errOut != "" {
		t.Fatalf("remove old-pc: %d %q %q", code, out, errOut)
	}
	if _, out, _ = cli(t, "", "devices", "--socket", sock); lineOf(out, "old-pc") != "" {
		t.Errorf("old-pc still listed:\n%s", out)
	}
	if code, _, errOut := cli(t, "", "devices", "remove", "old-pc", "--socket", sock); code != 1 || !strings.Contains(errOut, `no device named "old-pc"`) {
		t.Errorf("remove old-pc twice: %d %q", code, errOut)
	}
	if code, _, errOut := cli(t, "", "devices", "remove", "twin", "--socket", sock); code != 1 || !strings.Contains(errOut, `2 of your devices are named "twin"`) {
		t.Errorf("remove an ambiguous name: %d %q", code, errOut)
	}
	if code, _, errOut := cli(t, "", "devices", "remove", "--socket", sock); code != 2 || !strings.Contains(errOut, "name one device") {
		t.Errorf("remove without a device: %d %q", code, errOut)
	}
	if code, _, errOut := cli(t, "", "devices", "frob", "--socket", sock); code != 2 || !strings.Contains(errOut, "gatepassd devices remove") {
		t.Errorf("devices with a stray argument: %d %q", code, errOut)
	}

	// This device, on a terminal: the question says it signs this machine
	// out; "n" keeps it.
	code, _, errOut = cliTTY(t, "n\n", "devices", "remove", host, "--socket", sock)
	if code != 1 || !strings.Contains(errOut, "This is THIS device: removing it signs this machine out") || !strings.Contains(errOut, "not removed") {
		t.Fatalf("declined removal: %d %q", code, errOut)
	}
	if _, out, _ = cli(t, "", "status", "--socket", sock); strings.Contains(out, "Not signed in") {
		t.Fatalf("signed out after declining:\n%s", out)
	}
	code, out, errOut = cliTTY(t, "y\n", "devices", "remove", host, "--socket", sock)
	if code != 0 || !strings.Contains(out, "Removed this device ("+host+"): this machine is signed out") {
		t.Fatalf("remove this device: %d %q %q", code, out, errOut)
	}
	_, out, _ = cli(t, "", "status", "--socket", sock)
	if !strings.Contains(out, "Not signed in.") || !strings.Contains(out, agent.MessageDeviceRemoved) {
		t.Errorf("status after removing this device:\n%s", out)
	}

	// The device limit: its 409 reaches the sign-in as the server words it.
	two := 2 // the twins
	if _, err := admin.UpdateSettings(t.Context(), api.SettingsInput{MaxDevicesPerUser: &two}); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = cli(t, backendtest.UserPassword+"\n", "login", "--socket", sock, "--email", email, "--password-stdin")
	if code != 1 || !strings.Contains(errOut, "you have 2 devices registered, the most allowed") || !strings.Contains(errOut, "gatepassd devices remove") {
		t.Fatalf("login over the device limit: %d %q", code, errOut)
	}
	three := 3
	if _, err := admin.UpdateSettings(t.Context(), api.SettingsInput{MaxDevicesPerUser: &three}); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := cli(t, backendtest.UserPassword+"\n", "login", "--socket", sock, "--email", email, "--password-stdin"); code != 0 {
		t.Fatalf("login with room: %d %q %q", code, out, errOut)
	}
	_, out, _ = cli(t, "", "devices", "--socket", sock)
	if l := lineOf(out, host); !strings.Contains(l, "* this device") {
		t.Errorf("this device after signing in again:\n%s", out)
	}
}
