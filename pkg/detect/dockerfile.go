package detect

import (
	"fmt"
	"strconv"
	"strings"
)

// portFromDockerfile sets the port from the first EXPOSE instruction of the
// Dockerfile, for projects that have nothing but a Dockerfile. Without one,
// the port stays empty and a note says to set it.
func portFromDockerfile(p project, r *Result) error {
	data, err := p.readHead("Dockerfile")
	if err != nil {
		return err
	}
	for i, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || !strings.EqualFold(fields[0], "EXPOSE") {
			continue
		}
		port, _, _ := strings.Cut(fields[1], "/") // 8080/tcp
		if n, err := strconv.Atoi(port); err == nil && n >= 1 && n <= 65535 {
			r.Port = Finding{Value: strconv.Itoa(n), Reason: fmt.Sprintf("EXPOSE in Dockerfile:%d", i+1)}
			return nil
		}
	}
	r.Notes = append(r.Notes, "the Dockerfile has no EXPOSE with a port number: set port: in .cupaas.yml")
	return nil
}
