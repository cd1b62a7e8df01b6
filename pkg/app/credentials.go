package app

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/credentials"
	"github.com/cupaas/cupaas/pkg/run"
)

// secretKeys are the keys of each service's Secret that hold its
// credentials: username, password.
var secretKeys = map[string][2]string{
	"mongodb":    {"MONGO_INITDB_ROOT_USERNAME", "MONGO_INITDB_ROOT_PASSWORD"},
	"postgresql": {"POSTGRES_USER", "POSTGRES_PASSWORD"},
	"mysql":      {"MYSQL_USER", "MYSQL_PASSWORD"},
	"redis":      {"", "REDIS_PASSWORD"},
}

// SecretsArgs list the app's Secrets with their values: the command is
// Sensitive, its output is never shown.
func (a *App) SecretsArgs() []string {
	return []string{"-n", a.Namespace, "get", "secrets", "-l", a.Selector("") + "," + notReleaseRecord, "-o", "json"}
}

// Credentials reads the credentials of the named services from the Secrets
// the cluster holds. They win over the home's credentials.json, so that no
// change locks the app out of its data. A service whose Secret is missing
// has no entry.
func (a *App) Credentials(ctx context.Context, services []string) (map[string]credentials.Service, error) {
	out, err := a.Kube.Runner.Run(ctx, run.Cmd{Argv: a.Kube.Argv(a.SecretsArgs()...), Sensitive: true})
	if err != nil {
		return nil, err
	}
	return ParseCredentials(out, a.Name, services)
}

// ParseCredentials reads the credentials of services out of the output of
// SecretsArgs.
func ParseCredentials(out []byte, app string, services []string) (map[string]credentials.Service, error) {
	var list corev1.SecretList
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, fmt.Errorf("cannot read the secrets kubectl listed: %v", err)
	}
	res := map[string]credentials.Service{}
	for _, name := range services {
		keys := secretKeys[name]
		for _, sec := range list.Items {
			if sec.Name != app+"-"+name {
				continue
			}
			pass := string(sec.Data[keys[1]])
			if pass == "" {
				continue
			}
			cred := credentials.Service{Username: credentials.DefaultUsername, Password: pass}
			if keys[0] != "" && len(sec.Data[keys[0]]) > 0 {
				cred.Username = string(sec.Data[keys[0]])
			}
			res[name] = cred
		}
	}
	return res, nil
}
