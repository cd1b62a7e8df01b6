package render

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/credentials"
)

// backing describes how one catalogue service runs in the cluster and what
// the app is told about it. The keys of secretEnv and connection must match
// config's catalogue (connection's keys are ServiceSpec.EnvNames).
type backing struct {
	// mountPath is where the data volume is mounted.
	mountPath string
	// env are plain settings of the service's container.
	env []corev1.EnvVar
	// args replace the image's command arguments; nil keeps them. They
	// hold no secret: any process list, and the pod spec, show them (and
	// a $(VAR) in them is expanded into them).
	args []string
	// secretEnv returns the service's own settings: kept in its Secret
	// and given to its container as environment variables.
	secretEnv func(cred credentials.Service, db string) map[string]string
	// configFiles returns files kept in the service's Secret beside
	// secretEnv, and mounted read-only in configDir: settings the image
	// takes from a file rather than from its environment.
	configFiles func(cred credentials.Service) map[string]string
	// configDir is where configFiles are mounted.
	configDir string
	// fsGroup is the group that must read configFiles: the image's
	// service user runs with it (0: root reads them).
	fsGroup int64
	// connection returns what the app gets, given the in-cluster host.
	connection func(cred credentials.Service, host string, port int, db string) map[string]string
}

// backings returns what cupaas knows about running each catalogue service.
func backings() map[string]backing {
	return map[string]backing{
		"mongodb": {
			mountPath: "/data/db",
			secretEnv: func(c credentials.Service, _ string) map[string]string {
				return map[string]string{
					"MONGO_INITDB_ROOT_USERNAME": c.Username,
					"MONGO_INITDB_ROOT_PASSWORD": c.Password,
				}
			},
			connection: func(c credentials.Service, host string, port int, db string) map[string]string {
				// The user is created in the admin database by the image.
				uri := serviceURL("mongodb", url.UserPassword(c.Username, c.Password), host, port, "/"+db, "authSource=admin")
				return map[string]string{"MONGODB_URI": uri, "MONGO_URL": uri}
			},
		},
		"postgresql": {
			mountPath: "/var/lib/postgresql/data",
			// A subdirectory: the volume's root may hold lost+found, which
			// initdb refuses.
			env: []corev1.EnvVar{{Name: "PGDATA", Value: "/var/lib/postgresql/data/pgdata"}},
			secretEnv: func(c credentials.Service, db string) map[string]string {
				return map[string]string{
					"POSTGRES_USER":     c.Username,
					"POSTGRES_PASSWORD": c.Password,
					"POSTGRES_DB":       db,
				}
			},
			connection: func(c credentials.Service, host string, port int, db string) map[string]string {
				return map[string]string{
					"DATABASE_URL": serviceURL("postgres", url.UserPassword(c.Username, c.Password), host, port, "/"+db, "sslmode=disable"),
					"PGHOST":       host,
					"PGPORT":       strconv.Itoa(port),
					"PGUSER":       c.Username,
					"PGPASSWORD":   c.Password,
					"PGDATABASE":   db,
				}
			},
		},
		"redis": {
			mountPath: "/data",
			// The password is in the config file, not in the arguments
			// (`--requirepass $(REDIS_PASSWORD)` put it in the process's
			// command line, for `ps` and /proc/<pid>/cmdline to show).
			args: []string{"redis-server", redisConfDir + "/" + redisConf, "--appendonly", "yes"},
			// REDIS_PASSWORD stays in the Secret: deploy reads the
			// password back from it.
			secretEnv: func(c credentials.Service, _ string) map[string]string {
				return map[string]string{"REDIS_PASSWORD": c.Password}
			},
			configFiles: func(c credentials.Service) map[string]string {
				return map[string]string{redisConf: "# Written by cupaas.\nrequirepass " + redisQuote(c.Password) + "\n"}
			},
			configDir: redisConfDir,
			// The official image runs redis-server as redis (uid and gid
			// 999) after its entrypoint drops root.
			fsGroup: 999,
			connection: func(c credentials.Service, host string, port int, _ string) map[string]string {
				return map[string]string{"REDIS_URL": serviceURL("redis", url.UserPassword("", c.Password), host, port, "/0", "")}
			},
		},
		"mysql": {
			mountPath: "/var/lib/mysql",
			secretEnv: func(c credentials.Service, db string) map[string]string {
				// Root shares the app user's password: both are local to
				// this app's cluster namespace.
				return map[string]string{
					"MYSQL_ROOT_PASSWORD": c.Password,
					"MYSQL_USER":          c.Username,
					"MYSQL_PASSWORD":      c.Password,
					"MYSQL_DATABASE":      db,
				}
			},
			connection: func(c credentials.Service, host string, port int, db string) map[string]string {
				return map[string]string{
					"DATABASE_URL":   serviceURL("mysql", url.UserPassword(c.Username, c.Password), host, port, "/"+db, ""),
					"MYSQL_HOST":     host,
					"MYSQL_PORT":     strconv.Itoa(port),
					"MYSQL_USER":     c.Username,
					"MYSQL_PASSWORD": c.Password,
					"MYSQL_DATABASE": db,
				}
			},
		},
	}
}

// Where redis finds its config file.
const (
	redisConfDir = "/etc/redis"
	redisConf    = "redis.conf"
)

// redisQuote writes s as a double-quoted redis config argument: `"` and
// `\` escaped, and every byte outside printable ASCII as \xHH, which
// redis reads back as that byte.
func redisQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			fmt.Fprintf(&b, "\\x%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// serviceURL builds a connection URL, escaping the credentials.
func serviceURL(scheme string, user *url.Userinfo, host string, port int, path, query string) string {
	u := url.URL{Scheme: scheme, User: user, Host: host + ":" + strconv.Itoa(port), Path: path, RawQuery: query}
	return u.String()
}

// DatabaseName is the database created for the app in its SQL or document
// service: the app name with '-' replaced by '_'.
func DatabaseName(app string) string {
	b := []byte(app)
	for i, c := range b {
		if c == '-' {
			b[i] = '_'
		}
	}
	return string(b)
}

// serviceObjectName is the name of a service's Secret, StatefulSet and
// Service, and its in-cluster host name.
func serviceObjectName(app string, s config.Service) string { return app + "-" + s.Name }
