// Package config loads the settings of gatepass-server.
//
// Every setting can come from four places. From highest to lowest
// precedence:
//
//  1. a command-line flag that is given explicitly (--listen, --smtp-host, …);
//  2. an environment variable (GATEPASS_LISTEN, GATEPASS_SMTP_HOST, …);
//     an empty variable counts as unset;
//  3. the optional JSON config file named by --config or GATEPASS_CONFIG;
//  4. the built-in default.
//
// An empty value from a flag or the file means "use the default" for
// settings that have one; for the SMTP host, username, password and sender
// it means empty (so --smtp-host= turns off mail that the file turned on).
//
// The config file is a JSON object whose keys mirror the flags in
// snake_case, with the SMTP settings grouped under "smtp". Every key is
// optional; an unknown key is an error:
//
//	{
//	  "listen": "0.0.0.0:8080",
//	  "data_dir": "/var/lib/gatepass",
//	  "public_url": "https://gatepass.example.com",
//	  "smtp": {
//	    "host": "smtp.example.com",
//	    "port": 587,
//	    "username": "gatepass",
//	    "password": "…",
//	    "from": "Gatepass <gatepass@example.com>",
//	    "tls": "starttls",
//	    "allow_insecure_auth": false
//	  },
//	  "demo": false,
//	  "pending_ttl": "7d",
//	  "log_level": "info",
//	  "metrics_listen": "127.0.0.1:9090",
//	  "metrics_token": "…"
//	}
//
// Durations (--pending-ttl) are Go durations ("90m", "36h") and may start
// with a whole number of days ("7d", "1d12h").
//
// The first admin's credentials, GATEPASS_ADMIN_EMAIL and
// GATEPASS_ADMIN_PASSWORD, are read from the environment only.
//
// /metrics is served only when asked for: on its own address
// (--metrics-listen) and/or behind a bearer token (--metrics-token, at least
// 16 characters). With neither, it is not served at all.
//
// Secrets (the SMTP password, the metrics token and the admin password)
// never appear in error messages, in Config.String or in Config.LogValue.
package config
