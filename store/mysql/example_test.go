package mysql_test

import (
	"context"
	"log"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/mysql"
)

// Open a store on a MariaDB or MySQL database and hand it to a scheduler.
// Every scheduler process that opens the same database shares its jobs:
// each fire is claimed by one of them.
func ExampleOpen() {
	ctx := context.Background()
	// A go-sql-driver DSN naming the database; Open creates the tables.
	st, err := mysql.Open(ctx, "sundial:secret@tcp(127.0.0.1:3306)/sundial", mysql.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	s, err := sundial.New(sundial.Config{Store: st, Tasks: sundial.NewRegistry()})
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer s.Shutdown(ctx)
}
