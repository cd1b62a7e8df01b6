module example.com/orders

go 1.22.3

toolchain go1.23.1

require (
	github.com/jackc/pgx/v5 v5.6.0
	go.mongodb.org/mongo-driver v1.15.0 // indirect
)

require github.com/redis/go-redis/v9 v9.5.1

exclude (
	github.com/go-sql-driver/mysql v1.7.0
)
