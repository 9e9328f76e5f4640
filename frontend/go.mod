module gatepass.dev/frontend

go 1.26.8

ignore ./node_modules
