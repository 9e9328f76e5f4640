module gatepass.dev/shared

go 1.26.8

require (
	github.com/go-resty/resty/v2 v2.17.2
	github.com/jonboulle/clockwork v0.5.0
	golang.org/x/sys v0.49.0
)

require golang.org/x/net v0.43.0 // indirect
