//go:build unix

package report

import (
	"errors"
	"syscall"
)

// syscallNonBlock keeps CheckOutput from waiting for a FIFO's reader.
const syscallNonBlock = syscall.O_NONBLOCK

// isNoReader is a FIFO with no reader yet, opened without blocking: it
// will be written once the reader comes.
func isNoReader(err error) bool { return errors.Is(err, syscall.ENXIO) }
