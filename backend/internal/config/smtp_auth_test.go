package config

import (
	"strings"
	"testing"
)

// TestSMTPAllowInsecureAuth: off by default; on from the flag, the
// environment or the file; a value that is no boolean is an error naming
// the setting.
func TestSMTPAllowInsecureAuth(t *testing.T) {
	if c := mustLoad(t, nil, noEnv); c.SMTP.AllowInsecureAuth {
		t.Error("insecure SMTP auth is allowed by default")
	}
	if c := mustLoad(t, []string{"--smtp-allow-insecure-auth"}, noEnv); !c.SMTP.AllowInsecureAuth {
		t.Error("--smtp-allow-insecure-auth did not allow it")
	}
	if c := mustLoad(t, nil, env(map[string]string{"GATEPASS_SMTP_ALLOW_INSECURE_AUTH": "1"})); !c.SMTP.AllowInsecureAuth {
		t.Error("GATEPASS_SMTP_ALLOW_INSECURE_AUTH=1 did not allow it")
	}
	path := writeFile(t, `{"smtp": {"allow_insecure_auth": true}}`)
	if c := mustLoad(t, []string{"--config", path, "--smtp-allow-insecure-auth=false"}, noEnv); c.SMTP.AllowInsecureAuth {
		t.Error("the flag did not beat the file")
	}
	err := loadErr(t, nil, env(map[string]string{"GATEPASS_SMTP_ALLOW_INSECURE_AUTH": "maybe"}))
	if !strings.Contains(err.Error(), `--smtp-allow-insecure-auth (GATEPASS_SMTP_ALLOW_INSECURE_AUTH): "maybe" is not a boolean`) {
		t.Errorf("bad value: %v", err)
	}
	if s := (SMTP{AllowInsecureAuth: true}).String(); !strings.Contains(s, "allow_insecure_auth=true") {
		t.Errorf("SMTP.String() = %q", s)
	}
}
