package task

import "github.com/sundial-scheduler/sundial"

// Task names of the built-in tasks.
const (
	// ExecTask runs an allow-listed program; see Exec.
	ExecTask = "sundial:exec"
	// HTTPTask sends an HTTP request; see HTTP.
	HTTPTask = "sundial:http"
)

// Register registers sundial:exec and sundial:http, with their argument
// validators, in r.
func Register(r *sundial.Registry, exec ExecConfig, http HTTPConfig) {
	h, v := Exec(exec)
	r.RegisterValidated(ExecTask, h, v)
	h, v = HTTP(http)
	r.RegisterValidated(HTTPTask, h, v)
}
