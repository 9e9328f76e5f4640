package main

import (
	"io/fs"
	"testing"
)

func TestAppOptions(t *testing.T) {
	opts := appOptions(NewApp())
	if opts.Title != "Gatepass" {
		t.Errorf("Title = %q, want %q", opts.Title, "Gatepass")
	}
	if opts.AssetServer == nil || opts.AssetServer.Assets == nil {
		t.Fatal("no embedded assets configured")
	}
	if _, err := fs.Stat(opts.AssetServer.Assets, "index.html"); err != nil {
		t.Errorf("assets have no index.html at their root: %v", err)
	}
	if opts.OnStartup == nil || len(opts.Bind) != 1 {
		t.Errorf("App not wired: OnStartup set %v, %d bound objects", opts.OnStartup != nil, len(opts.Bind))
	}
}
