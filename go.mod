module github.com/sundial-scheduler/sundial

go 1.26
