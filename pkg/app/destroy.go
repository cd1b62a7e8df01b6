package app

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/render"
)

// destroyKinds are the kinds whose objects labelled as the app's destroy
// deletes (pods: only the one-off pods of `cupaas run`; the others go with
// their Deployment or StatefulSet). Secrets and claims are listed apart.
const destroyKinds = "deployments.apps,statefulsets.apps,services,configmaps,horizontalpodautoscalers.autoscaling,jobs.batch,cronjobs.batch,ingresses.networking.k8s.io,networkpolicies.networking.k8s.io,poddisruptionbudgets.policy,serviceaccounts,roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io"

// foreignKinds are looked at for objects cupaas did not make before the
// whole namespace is deleted.
const foreignKinds = "deployments.apps,statefulsets.apps,daemonsets.apps,jobs.batch,cronjobs.batch,services,persistentvolumeclaims,secrets,configmaps"

// Claim is a PersistentVolumeClaim of a service: its data.
type Claim struct {
	Name    string `json:"name"`
	Service string `json:"service"`
	// Size is the volume's capacity (or the size asked for while it is
	// not bound), such as 1Gi.
	Size   string `json:"size"`
	Status string `json:"status"`
}

// DestroyPlan is what Destroy deletes and what it keeps.
type DestroyPlan struct {
	App, Namespace, Context string
	// DeleteData deletes the claims, the services' Secrets and the
	// namespace too.
	DeleteData bool
	// Delete are the objects deleted one by one, as resource/name.
	Delete []string
	// Claims are the services' volume claims; ServiceSecrets the Secrets
	// holding their credentials, as secret/name. Kept unless DeleteData.
	Claims         []Claim
	ServiceSecrets []string
	// DeleteNamespace is set when the namespace goes too: DeleteData,
	// and cupaas made it for this app and nothing else lives in it.
	DeleteNamespace bool
	// NamespaceKept says why the namespace stays with DeleteData.
	NamespaceKept string
}

// KeptData reports whether Destroy leaves data behind.
func (p *DestroyPlan) KeptData() bool {
	return !p.DeleteData && (len(p.Claims) > 0 || len(p.ServiceSecrets) > 0)
}

// PlanDestroy lists what a destroy of the app deletes and keeps. It only
// reads, and reads names and labels only, never a Secret's values.
func (a *App) PlanDestroy(ctx context.Context, deleteData bool) (*DestroyPlan, error) {
	p := &DestroyPlan{App: a.Name, Namespace: a.Namespace, Context: a.Kube.Context, DeleteData: deleteData}
	sel := a.Selector("")
	out, err := a.Kube.Run(ctx, "-n", a.Namespace, "get", destroyKinds, "-l", sel, "-o", "name")
	if err != nil {
		return nil, err
	}
	p.Delete = names(out)
	out, err = a.Kube.Run(ctx, "-n", a.Namespace, "get", "pods", "-l", a.Selector(ComponentRun), "-o", "name")
	if err != nil {
		return nil, err
	}
	p.Delete = append(p.Delete, names(out)...)
	// Name and component of each Secret: never -o json, which holds
	// the values.
	out, err = a.Kube.Run(ctx, "-n", a.Namespace, "get", "secrets", "-l", sel, "-o",
		`jsonpath={range .items[*]}{.metadata.name}{"\t"}{.metadata.labels.app\.kubernetes\.io/component}{"\n"}{end}`)
	if err != nil {
		return nil, err
	}
	services := config.ServiceNames()
	for _, l := range strings.Split(string(out), "\n") {
		name, comp, ok := strings.Cut(strings.TrimSpace(l), "\t")
		if !ok && name == "" {
			continue
		}
		if slices.Contains(services, comp) && name == a.Name+"-"+comp {
			p.ServiceSecrets = append(p.ServiceSecrets, "secret/"+name)
			continue
		}
		p.Delete = append(p.Delete, "secret/"+name)
	}
	out, err = a.Kube.Run(ctx, "-n", a.Namespace, "get", "persistentvolumeclaims", "-l", sel, "-o", "json")
	if err != nil {
		return nil, err
	}
	var claims corev1.PersistentVolumeClaimList
	if err := json.Unmarshal(out, &claims); err != nil {
		return nil, fmt.Errorf("cannot read the volume claims kubectl listed: %v", err)
	}
	for _, c := range claims.Items {
		size := c.Status.Capacity[corev1.ResourceStorage]
		if size.IsZero() {
			size = c.Spec.Resources.Requests[corev1.ResourceStorage]
		}
		p.Claims = append(p.Claims, Claim{Name: c.Name, Service: c.Labels[render.LabelComponent], Size: size.String(), Status: string(c.Status.Phase)})
	}
	sort.Strings(p.Delete)
	sort.Slice(p.Claims, func(i, j int) bool { return p.Claims[i].Name < p.Claims[j].Name })
	if deleteData {
		why, err := a.namespaceForeign(ctx)
		if err != nil {
			return nil, err
		}
		p.DeleteNamespace, p.NamespaceKept = why == "", why
	}
	return p, nil
}

// namespaceForeign says why the app's namespace is not cupaas' to delete
// (not labelled as made by cupaas for this app, or holding objects cupaas
// did not make), or "" when it is.
func (a *App) namespaceForeign(ctx context.Context) (string, error) {
	out, err := a.Kube.Run(ctx, "get", "namespace", a.Namespace, "-o", "json")
	if err != nil {
		return "", err
	}
	var ns corev1.Namespace
	if err := json.Unmarshal(out, &ns); err != nil {
		return "", fmt.Errorf("cannot read namespace %s: %v", a.Namespace, err)
	}
	if ns.Labels[render.LabelManagedBy] != render.ManagedBy || ns.Labels[render.LabelInstance] != a.Name {
		return fmt.Sprintf("cupaas did not create namespace %s (it lacks the labels %s=%s and %s=%s)", a.Namespace, render.LabelManagedBy, render.ManagedBy, render.LabelInstance, a.Name), nil
	}
	out, err = a.Kube.Run(ctx, "-n", a.Namespace, "get", foreignKinds, "-l", render.LabelManagedBy+"!="+render.ManagedBy, "-o", "name")
	if err != nil {
		return "", err
	}
	var foreign []string
	for _, n := range names(out) {
		// Kubernetes puts this ConfigMap in every namespace.
		if n != "configmap/kube-root-ca.crt" {
			foreign = append(foreign, n)
		}
	}
	if len(foreign) > 0 {
		more := ""
		if len(foreign) > 3 {
			more = fmt.Sprintf(" and %d more", len(foreign)-3)
			foreign = foreign[:3]
		}
		return fmt.Sprintf("namespace %s holds objects cupaas did not make (%s%s)", a.Namespace, strings.Join(foreign, ", "), more), nil
	}
	return "", nil
}

// DestroyOptions pace Destroy.
type DestroyOptions struct {
	// Timeout bounds each deletion and the wait for the namespace to go;
	// 0 means 3 minutes.
	Timeout time.Duration
	// Poll is how often the namespace is checked; 0 means 1 s.
	Poll time.Duration
}

// Destroy carries out p: it deletes p.Delete (and with DeleteData the
// claims and the services' Secrets, and the namespace when p says so,
// waiting until it is gone).
func (a *App) Destroy(ctx context.Context, p *DestroyPlan, o DestroyOptions) error {
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Minute
	}
	if o.Poll == 0 {
		o.Poll = time.Second
	}
	// A namespace deleted takes its objects with it.
	var objs []string
	if !p.DeleteNamespace {
		objs = slices.Clone(p.Delete)
	}
	if p.DeleteData && !p.DeleteNamespace {
		objs = append(objs, p.ServiceSecrets...)
		for _, c := range p.Claims {
			objs = append(objs, "persistentvolumeclaim/"+c.Name)
		}
	}
	if len(objs) > 0 {
		args := append([]string{"-n", a.Namespace, "delete"}, objs...)
		args = append(args, "--ignore-not-found", "--timeout="+o.Timeout.String())
		if _, err := a.Kube.Run(ctx, args...); err != nil {
			return err
		}
	}
	if !p.DeleteNamespace {
		return nil
	}
	if _, err := a.Kube.Run(ctx, "delete", "namespace", a.Namespace, "--ignore-not-found", "--wait=false"); err != nil {
		return err
	}
	return a.WaitNamespaceGone(ctx, o.Timeout, o.Poll)
}
