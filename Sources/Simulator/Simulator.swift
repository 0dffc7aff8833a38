// The simulated device fleet (sessions, crashes, ANRs, funnel steps, staged incidents)
// that drives the reference server over HTTP. Its first code lands with the full
// platform API; until then this module is intentionally empty so that the module
// graph of DESIGN.md is in place and `opsdeck` already links it.
