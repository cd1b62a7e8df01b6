//go:build unix

package safefile

import (
	"os"
	"syscall"
)

// NonBlock is O_NONBLOCK: opening a named pipe with it returns at once
// instead of waiting for a writer. It changes nothing for a regular file.
const NonBlock = syscall.O_NONBLOCK

const openFlags = os.O_RDONLY | NonBlock
