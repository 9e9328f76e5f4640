package localapi_test

import (
	"net/http"
	"strings"
	"testing"

	"gatepass.dev/desktop/internal/localapi"
	"gatepass.dev/shared/api"
)

func TestDevicesFind(t *testing.T) {
	list := localapi.Devices{Devices: []api.Device{
		{ID: "dev_a", Name: "laptop", Current: true},
		{ID: "dev_b", Name: "twin"},
		{ID: "dev_c", Name: "twin"},
		{ID: "dev_d", Name: "dev_b"}, // a name that is another device's id
	}}
	for ref, want := range map[string]string{"dev_a": "dev_a", "laptop": "dev_a", " laptop ": "dev_a", "dev_c": "dev_c", "dev_b": "dev_b", "dev_d": "dev_d"} {
		if got, err := list.Find(ref); err != nil || got.ID != want {
			t.Errorf("Find(%q) = %v, %v; want %s", ref, got.ID, err, want)
		}
	}
	for ref, want := range map[string]struct {
		status int
		msg    string
	}{
		"twin":   {http.StatusBadRequest, `2 of your devices are named "twin": give the id of the one to remove (dev_b, dev_c)`},
		"":       {http.StatusBadRequest, "give the id or the name"},
		"Laptop": {http.StatusNotFound, `no device named "Laptop"`},
	} {
		_, err := list.Find(ref)
		ae, ok := err.(*api.Error)
		if !ok || ae.Status != want.status || !strings.Contains(ae.Message, want.msg) {
			t.Errorf("Find(%q) = %v, want %d %q", ref, err, want.status, want.msg)
		}
	}
	if cur, ok := list.Current(); !ok || cur.ID != "dev_a" {
		t.Errorf("Current() = %v %v", cur, ok)
	}
	if _, ok := (localapi.Devices{}).Current(); ok {
		t.Error("an empty list has a current device")
	}
}
