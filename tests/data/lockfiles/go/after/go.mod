module github.com/example/shop

go 1.22

toolchain go1.22.4

require (
	github.com/google/uuid v1.6.0
	github.com/prometheus/client_golang v1.19.1
	golang.org/x/sync v0.5.0
)

require (
	github.com/cespare/xxhash/v2 v2.2.0 // indirect
	golang.org/x/sys v0.0.0-20240112103309-1d36ad3da6b6 // indirect
	google.golang.org/protobuf v1.31.0 // indirect
)

require gopkg.in/yaml.v3 v3.0.1

require github.com/stretchr/testify v1.9.0 // indirect

replace github.com/example/internal => ../internal

exclude golang.org/x/net v0.1.0
