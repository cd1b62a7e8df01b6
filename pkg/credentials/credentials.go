// Package credentials keeps the generated credentials of an app's backing
// services (database users and passwords) in credentials.json in the app's
// home (see pkg/home).
//
// The credentials must stay the same across renders and redeploys: a
// database initialises its users once, on its first start, so new
// credentials would lock the app out of its existing data. They are
// generated with crypto/rand when a service first needs them, and the file
// is written atomically with mode 0600 in a directory of mode 0700.
package credentials

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/gofrs/flock"

	"github.com/cupaas/cupaas/pkg/atomicfile"
	"github.com/cupaas/cupaas/pkg/safefile"
	"github.com/cupaas/cupaas/pkg/statedir"
)

// FileName is the name of the credentials file in the app's home.
const FileName = "credentials.json"

// DefaultUsername is the user name generated for every service.
const DefaultUsername = "app"

// PasswordLength is the length of generated passwords.
const PasswordLength = 24

// fileVersion is the version of the file's format.
const fileVersion = 1

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// Service is the user name and password of one backing service. Redis uses
// only the password.
type Service struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// file is the format of credentials.json.
type file struct {
	Version  int                `json:"version"`
	Services map[string]Service `json:"services"`
}

// MaxFileSize bounds the size of credentials.json, which holds a few
// passwords; a larger file is refused before it is read.
const MaxFileSize = 1 << 20

// Path returns the path of the credentials file in dir, the app's home.
func Path(dir string) string { return filepath.Join(dir, FileName) }

// Load returns the stored credentials in dir, the app's home, by service name;
// an empty map when there are none yet. A file that cannot be read as
// credentials is an error: cupaas never replaces it silently.
func Load(dir string) (map[string]Service, error) {
	path := Path(dir)
	data, err := safefile.ReadFile(path, MaxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]Service{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the service credentials: %w", err)
	}
	return parse(path, data)
}

func parse(path string, data []byte) (map[string]Service, error) {
	corrupt := func(what string) error {
		return fmt.Errorf("%s is corrupt (%s). It holds the passwords your app's databases were created with, so cupaas will not replace it: "+
			"restore it (it is JSON such as {\"version\": 1, \"services\": {\"mongodb\": {\"username\": \"app\", \"password\": \"…\"}}}), "+
			"or delete it to generate new credentials and also delete the app's data with `kubectl delete namespace <app>`", path, what)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f file
	if err := dec.Decode(&f); err != nil {
		return nil, corrupt(err.Error())
	}
	if dec.More() {
		return nil, corrupt("extra data after the JSON object")
	}
	if f.Version != fileVersion {
		return nil, corrupt(fmt.Sprintf("version %d, expected %d", f.Version, fileVersion))
	}
	out := make(map[string]Service, len(f.Services))
	for _, name := range slices.Sorted(maps.Keys(f.Services)) {
		s := f.Services[name]
		if s.Password == "" {
			return nil, corrupt(fmt.Sprintf("service %q has no password", name))
		}
		out[name] = s
	}
	return out, nil
}

// Ensure returns the credentials of services kept in dir, the app's home. Stored
// credentials are kept; override (credentials read from the running
// cluster) replaces them; services that have none get new ones. The file is
// written only when something changed, under a lock so that two cupaas
// processes cannot generate different credentials for the same service.
// The result holds exactly the services asked for; the file also keeps the
// others, whose data may still exist in the cluster.
func Ensure(dir string, services []string, override map[string]Service) (map[string]Service, error) {
	if len(services) == 0 && len(override) == 0 {
		return map[string]Service{}, nil
	}
	for name, s := range override {
		if s.Password == "" {
			return nil, fmt.Errorf("internal error: override for service %s has no password", name)
		}
	}
	if _, err := statedir.Ensure(dir); err != nil {
		return nil, err
	}
	lockPath := filepath.Join(dir, FileName+".lock")
	if err := safefile.CheckRegular(lockPath); err != nil {
		return nil, fmt.Errorf("cannot lock the service credentials: %w; delete it", err)
	}
	lock := flock.New(lockPath, flock.SetPermissions(0o600), flock.SetFlag(os.O_CREATE|os.O_RDONLY|safefile.NonBlock))
	if err := lock.Lock(); err != nil {
		return nil, fmt.Errorf("cannot lock %s: %w", lock.Path(), err)
	}
	defer lock.Unlock()

	stored, err := Load(dir)
	if err != nil {
		return nil, err
	}
	changed := false
	for name, s := range override {
		if stored[name] != s {
			stored[name] = s
			changed = true
		}
	}
	out := make(map[string]Service, len(services))
	for _, name := range services {
		s, ok := stored[name]
		if !ok {
			pw, err := Generate(PasswordLength)
			if err != nil {
				return nil, err
			}
			s = Service{Username: DefaultUsername, Password: pw}
			stored[name] = s
			changed = true
		}
		out[name] = s
	}
	if changed {
		data, err := json.MarshalIndent(file{Version: fileVersion, Services: stored}, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := atomicfile.Write(Path(dir), append(data, '\n'), 0o600); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Generate returns a random password of n characters from [A-Za-z0-9],
// read from crypto/rand. Such a password needs no escaping in a URL or a
// shell.
func Generate(n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n*2)
	// 248 is the largest multiple of 62 below 256: rejecting bytes from it
	// up keeps every character equally likely.
	const limit = 256 - 256%len(alphabet)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("cannot generate a password: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}
