package cli

// Exit codes of loadgen's commands.
const (
	ExitOK = 0
	// ExitFailures is the default of --exit-code-on-error: some request
	// failed.
	ExitFailures = 1
	// ExitUsage: bad flags, environment, profile or settings.
	ExitUsage = 2
	// ExitThreshold: a threshold was breached. It wins over the failure
	// code: a breached threshold is what a CI job asked to be told about.
	ExitThreshold = 3
	// ExitInternal: the run could not be carried out.
	ExitInternal = 4
	// ExitUnreachable: a worker gave up on reaching its coordinator.
	ExitUnreachable = 5
	// ExitIncomplete: the run measured nothing (no request completed), or
	// a worker failed. It wins over every other outcome of a run.
	ExitIncomplete = 6
)
