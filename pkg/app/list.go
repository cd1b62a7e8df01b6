package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/kubectl"
	"github.com/cupaas/cupaas/pkg/render"
)

// Summary is one app on a context, as `cupaas apps` lists it.
type Summary struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// Ready and Pods count the pods of the app and of its services.
	Ready int32  `json:"ready"`
	Pods  int32  `json:"pods"`
	Image string `json:"image"`
	// DeployedAt is when the last deploy changed the app's Deployment.
	DeployedAt *time.Time `json:"deployedAt,omitempty"`
	// URL is the app's NodePort on the node's address ("" when unknown).
	URL string `json:"url,omitempty"`
}

// ListArgs read the workloads and Services of every app cupaas deployed on
// the context.
func ListArgs() []string {
	return []string{"get", "deployments,statefulsets,services", "--all-namespaces", "-l", render.LabelManagedBy + "=" + render.ManagedBy, "-o", "json", "--show-managed-fields"}
}

// NodesArgs read the cluster's nodes, for their addresses.
func NodesArgs() []string { return []string{"get", "nodes", "-o", "json"} }

// List finds every app cupaas deployed on the context of kc by its labels:
// one kubectl call for the workloads and Services, and, with urls, one for
// the node's address when an app has a NodePort.
func List(ctx context.Context, kc kubectl.Client, urls bool) ([]Summary, error) {
	out, err := kc.Run(ctx, ListArgs()...)
	if err != nil {
		return nil, err
	}
	o, err := parseObjects(out)
	if err != nil {
		return nil, err
	}
	apps := summaries(o)
	if !urls {
		return apps, nil
	}
	for _, s := range o.services {
		if s.Labels[render.LabelComponent] == render.ComponentApp && nodePort(s) != 0 {
			nodes, err := kc.Run(ctx, NodesArgs()...)
			if err != nil {
				return nil, err
			}
			setURLs(apps, o, nodeAddress(nodes))
			break
		}
	}
	return apps, nil
}

func summaries(o *objects) []Summary {
	byKey := map[string]*Summary{}
	var keys []string
	for _, d := range o.deployments {
		if d.Labels[render.LabelComponent] != render.ComponentApp {
			continue
		}
		s := &Summary{Name: d.Labels[render.LabelInstance], Namespace: d.Namespace, Ready: d.Status.ReadyReplicas, Pods: 1}
		if d.Spec.Replicas != nil {
			s.Pods = *d.Spec.Replicas
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			if c.Name == render.AppContainer {
				s.Image = c.Image
			}
		}
		if t := LastApplied(d.ManagedFields); !t.IsZero() {
			s.DeployedAt = &t
		}
		key := d.Namespace + "/" + s.Name
		byKey[key] = s
		keys = append(keys, key)
	}
	for _, ss := range o.statefulsets {
		if s, ok := byKey[ss.Namespace+"/"+ss.Labels[render.LabelInstance]]; ok {
			want := int32(1)
			if ss.Spec.Replicas != nil {
				want = *ss.Spec.Replicas
			}
			s.Pods += want
			s.Ready += ss.Status.ReadyReplicas
		}
	}
	out := []Summary{}
	for _, k := range keys {
		out = append(out, *byKey[k])
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Namespace < out[j].Namespace
	})
	return out
}

func nodePort(s corev1.Service) int32 {
	for _, p := range s.Spec.Ports {
		if p.NodePort != 0 {
			return p.NodePort
		}
	}
	return 0
}

// setURLs gives each app with a NodePort the URL http://ADDR:PORT.
func setURLs(apps []Summary, o *objects, addr string) {
	if addr == "" {
		return
	}
	for i := range apps {
		for _, s := range o.services {
			if s.Namespace == apps[i].Namespace && s.Labels[render.LabelInstance] == apps[i].Name && s.Labels[render.LabelComponent] == render.ComponentApp {
				if p := nodePort(s); p != 0 {
					apps[i].URL = fmt.Sprintf("http://%s", net.JoinHostPort(addr, strconv.Itoa(int(p))))
				}
			}
		}
	}
}

// nodeAddress is the first node's external address, else its internal
// one: where NodePorts answer.
func nodeAddress(out []byte) string {
	var list corev1.NodeList
	if json.Unmarshal(out, &list) != nil || len(list.Items) == 0 {
		return ""
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	for _, kind := range []corev1.NodeAddressType{corev1.NodeExternalIP, corev1.NodeInternalIP} {
		for _, a := range list.Items[0].Status.Addresses {
			if a.Type == kind && a.Address != "" {
				return a.Address
			}
		}
	}
	return ""
}
