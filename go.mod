module github.com/boxinit/boxinit

go 1.26.0

require (
	github.com/spf13/pflag v1.1.0
	golang.org/x/sys v0.49.0
)

require (
	github.com/joho/godotenv v1.5.1
	github.com/robfig/cron/v3 v3.0.1
	golang.org/x/crypto v0.58.0
)

require (
	github.com/stretchr/testify v1.12.1
	go.yaml.in/yaml/v3 v3.0.5
)
