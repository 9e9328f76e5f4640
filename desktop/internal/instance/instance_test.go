package instance

import "testing"

func TestLock(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	release, ok, err := Lock("test")
	if err != nil || !ok {
		t.Fatalf("first Lock = %v, %v", ok, err)
	}
	if !Running("test") {
		t.Error("Running = false while held")
	}
	if _, ok, _ := Lock("test"); ok {
		t.Error("second Lock succeeded while held")
	}
	release()
	if Running("test") {
		t.Error("Running = true after release")
	}
}
