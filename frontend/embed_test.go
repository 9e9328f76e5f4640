package frontend

import (
	"io/fs"
	"strings"
	"testing"
)

func TestDistServesIndexHTML(t *testing.T) {
	b, err := fs.ReadFile(Dist(), "index.html")
	if err != nil {
		t.Fatalf("index.html missing from the embedded dist (run `make frontend-dist`): %v", err)
	}
	if !strings.Contains(strings.ToLower(string(b)), "<html") {
		t.Fatalf("index.html does not look like HTML: %.80q", b)
	}
}
