package sundial_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

// InvoiceArgs are the keyword arguments of the "billing:invoice" task.
type InvoiceArgs struct {
	Customer    string `json:"customer"`
	AmountCents int    `json:"amount_cents"`
}

// RegisterFunc decodes a job's keyword arguments (stored as JSON, so the
// job survives restarts) into a typed value for the handler.
func ExampleRegisterFunc() {
	done := make(chan struct{})
	tasks := sundial.NewRegistry()
	sundial.RegisterFunc(tasks, "billing:invoice", func(ctx context.Context, rc *sundial.RunContext, args InvoiceArgs) error {
		defer close(done)
		fmt.Printf("invoice %s for %d.%02d\n", args.Customer, args.AmountCents/100, args.AmountCents%100)
		return nil
	})
	s, err := sundial.New(sundial.Config{
		Store:  memory.New(memory.Options{}),
		Tasks:  tasks,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	job, err := s.AddJob(ctx, sundial.JobSpec{
		ID:      "invoice-acme",
		Task:    "billing:invoice",
		Kwargs:  InvoiceArgs{Customer: "acme", AmountCents: 125000},
		Trigger: trigger.NewDate(time.Now()),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("stored kwargs:", string(job.Kwargs))

	if err := s.Start(ctx); err != nil {
		panic(err)
	}
	<-done

	if err := s.Shutdown(ctx); err != nil {
		panic(err)
	}
	// Output:
	// stored kwargs: {"customer":"acme","amount_cents":125000}
	// invoice acme for 1250.00
}
