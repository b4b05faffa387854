module github.com/sundial-scheduler/sundial/bench

go 1.26

require github.com/sundial-scheduler/sundial v0.0.0

require github.com/robfig/cron/v3 v3.0.1

replace github.com/sundial-scheduler/sundial => ../
