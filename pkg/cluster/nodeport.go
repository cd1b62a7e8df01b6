package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cupaas/cupaas/pkg/run"
)

// dialTimeout bounds the check that a node's NodePort is reachable, and
// refusedWait how long a refused one is tried again.
const (
	dialTimeout = time.Second
	refusedWait = 10 * time.Second
)

// nodePortURL is the URL of the NodePort service svc on a cluster other
// than minikube: http://<node address>:<nodePort> when a node's address
// answers on the port from this machine (with localFirst, 127.0.0.1 is
// tried first: Docker Desktop, Rancher Desktop and OrbStack publish
// NodePorts there), else a `kubectl port-forward` to the Service, returned
// running as a tunnel.
func nodePortURL(ctx context.Context, ex Exec, kubeContext, ns, svc string, localFirst bool) (string, *Tunnel, error) {
	svcArgv := []string{"kubectl", "--context", kubeContext, "-n", ns, "get", "service", svc, "-o", "json"}
	nodesArgv := []string{"kubectl", "--context", kubeContext, "get", "nodes", "-o", "json"}
	if ex.DryRun() {
		ex.Plan(svcArgv, "the Service's NodePort")
		ex.Plan(nodesArgv, "the nodes' addresses; the URL is the first that answers on the NodePort, else a kubectl port-forward")
		return "", nil, nil
	}
	out, err := ex.Retry(ctx, "reading the Service", func() ([]byte, error) {
		return ex.Runner.Run(ctx, run.Cmd{Argv: svcArgv})
	})
	if err != nil {
		return "", nil, err
	}
	port, nodePort, err := servicePorts(out)
	if err != nil {
		return "", nil, fmt.Errorf("service %s: %v", svc, err)
	}
	out, err = ex.Retry(ctx, "listing the nodes", func() ([]byte, error) {
		return ex.Runner.Run(ctx, run.Cmd{Argv: nodesArgv})
	})
	if err != nil {
		return "", nil, err
	}
	addrs, err := nodeAddresses(out)
	if err != nil {
		return "", nil, err
	}
	if localFirst {
		addrs = append([]string{"127.0.0.1"}, addrs...)
	}
	if nodePort > 0 {
		if url, ok := reachable(ctx, addrs, nodePort); ok {
			return url, nil, nil
		}
		ex.warn(fmt.Sprintf("no node answers on NodePort %d from here (tried %s); using kubectl port-forward", nodePort, strings.Join(addrs, ", ")))
	}
	return portForward(ctx, ex, kubeContext, ns, svc, port)
}

// reachable returns the URL of the first address that accepts a TCP
// connection on port. An address that refuses it is tried again for up to
// refusedWait: kube-proxy opens the NodePort of a new Service a few seconds
// after its creation. One that does not answer at all (no route from here)
// is given up at once.
func reachable(ctx context.Context, addrs []string, port int) (string, bool) {
	deadline := time.Now().Add(refusedWait)
	for {
		refused := false
		for _, a := range addrs {
			hostPort := net.JoinHostPort(a, strconv.Itoa(port))
			conn, err := (&net.Dialer{Timeout: dialTimeout}).DialContext(ctx, "tcp", hostPort)
			if err == nil {
				conn.Close()
				return "http://" + hostPort, true
			}
			refused = refused || errors.Is(err, syscall.ECONNREFUSED)
		}
		if !refused || time.Now().After(deadline) || ctx.Err() != nil {
			return "", false
		}
		select {
		case <-ctx.Done():
			return "", false
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// servicePorts reads the first port of a Service and its NodePort (0 when
// it has none).
func servicePorts(data []byte) (port, nodePort int, err error) {
	var s struct {
		Spec struct {
			Ports []struct {
				Port     int `json:"port"`
				NodePort int `json:"nodePort"`
			} `json:"ports"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return 0, 0, fmt.Errorf("cannot read kubectl's answer: %v", err)
	}
	if len(s.Spec.Ports) == 0 {
		return 0, 0, fmt.Errorf("the Service has no port")
	}
	return s.Spec.Ports[0].Port, s.Spec.Ports[0].NodePort, nil
}

// nodeAddresses are the nodes' InternalIP, then ExternalIP addresses.
func nodeAddresses(data []byte) ([]string, error) {
	var list struct {
		Items []struct {
			Status struct {
				Addresses []struct {
					Type    string `json:"type"`
					Address string `json:"address"`
				} `json:"addresses"`
			} `json:"status"`
		} `json:"items"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("cannot read the nodes from kubectl's answer: %v", err)
	}
	var out []string
	for _, typ := range []string{"InternalIP", "ExternalIP"} {
		for _, n := range list.Items {
			for _, a := range n.Status.Addresses {
				if a.Type == typ && a.Address != "" {
					out = append(out, a.Address)
				}
			}
		}
	}
	return out, nil
}

// portForward runs `kubectl port-forward` to the Service on a free local
// port and returns its URL, with the running command as the tunnel.
func portForward(ctx context.Context, ex Exec, kubeContext, ns, svc string, port int) (string, *Tunnel, error) {
	argv := []string{"kubectl", "--context", kubeContext, "-n", ns, "port-forward", "service/" + svc, ":" + strconv.Itoa(port)}
	url, tun, err := runURL(ctx, ex, argv, svc, forwardedURL)
	if err != nil {
		return "", nil, err
	}
	if tun == nil {
		return "", nil, fmt.Errorf("`%s` ended right after it started", run.CommandLine(argv))
	}
	tun.What, tun.Command = "kubectl port-forward", run.CommandLine(argv)
	return url, tun, nil
}

// forwardedURL reads kubectl port-forward's "Forwarding from
// 127.0.0.1:41234 -> 8080" line.
func forwardedURL(line string) (string, bool) {
	rest, ok := strings.CutPrefix(line, "Forwarding from ")
	if !ok {
		return "", false
	}
	addr, _, _ := strings.Cut(rest, " ")
	host, port, err := net.SplitHostPort(addr)
	if err != nil || net.ParseIP(host) == nil || net.ParseIP(host).To4() == nil {
		return "", false
	}
	return "http://" + net.JoinHostPort(host, port), true
}
