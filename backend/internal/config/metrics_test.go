package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestMetricsSettings: off by default; from flags, environment and file;
// the token is redacted everywhere and never quoted in errors; bad values
// are errors naming the setting.
func TestMetricsSettings(t *testing.T) {
	c := mustLoad(t, nil, noEnv)
	if c.MetricsListen != "" || c.MetricsToken != "" {
		t.Fatalf("metrics on by default: %q %q", c.MetricsListen, c.MetricsToken)
	}
	const token = "Metrics-Token-abcdef-0123456789"
	c = mustLoad(t, []string{"--metrics-listen", "127.0.0.1:9090"}, env(map[string]string{"GATEPASS_METRICS_TOKEN": token}))
	if c.MetricsListen != "127.0.0.1:9090" || c.MetricsToken != token {
		t.Fatalf("loaded %q %q", c.MetricsListen, c.MetricsToken)
	}

	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("config", "config", c)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("config", "config", *c)
	for name, out := range map[string]string{"String": c.String(), "%+v": fmt.Sprintf("%+v", *c), "%#v": fmt.Sprintf("%#v", *c),
		"slog text": text.String(), "slog json": js.String(), "LogValue": c.LogValue().Resolve().String()} {
		if strings.Contains(out, token) {
			t.Errorf("%s shows the metrics token: %s", name, out)
		}
	}
	if !strings.Contains(c.String(), "metrics_token=[redacted]") || !strings.Contains(c.String(), "metrics_listen=127.0.0.1:9090") {
		t.Errorf("String() = %s", c.String())
	}

	short := "Short-Token-Abc"
	for _, tc := range []struct {
		args   []string
		getenv map[string]string
		want   string
	}{
		{[]string{"--metrics-listen", "9090"}, nil, `--metrics-listen (GATEPASS_METRICS_LISTEN): "9090" is not host:port`},
		{[]string{"--metrics-listen", "127.0.0.1:99999"}, nil, `--metrics-listen (GATEPASS_METRICS_LISTEN): "127.0.0.1:99999" has an invalid port`},
		{[]string{"--listen", "127.0.0.1:8080", "--metrics-listen", "127.0.0.1:8080"}, nil, `--metrics-listen (GATEPASS_METRICS_LISTEN): "127.0.0.1:8080" is the API's --listen address`},
		{nil, map[string]string{"GATEPASS_METRICS_TOKEN": short}, "--metrics-token (GATEPASS_METRICS_TOKEN): is too short (want at least 16 characters"},
		{nil, map[string]string{"GATEPASS_METRICS_TOKEN": token + " x\n"}, "--metrics-token (GATEPASS_METRICS_TOKEN): must not contain spaces or control characters"},
	} {
		err := loadErr(t, tc.args, env(tc.getenv))
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: %v, want %q", tc.args, tc.getenv, err, tc.want)
		}
		if strings.Contains(err.Error(), short) || strings.Contains(err.Error(), token) {
			t.Errorf("the error shows the token: %v", err)
		}
	}
}
