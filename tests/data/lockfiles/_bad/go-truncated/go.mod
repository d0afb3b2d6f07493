module github.com/example/shop

go 1.22

toolchain go1.22.4

require (
	github.com/google/uuid v1.5.0
	github.com/prometheus/client_golang v1.18.0
	golang.org/x/sync v0.5.0
)

requi