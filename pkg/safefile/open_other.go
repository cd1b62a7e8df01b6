//go:build !unix

package safefile

import "os"

// NonBlock is 0: this platform has no O_NONBLOCK.
const NonBlock = 0

const openFlags = os.O_RDONLY
