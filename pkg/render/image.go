package render

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// ImageName returns the app's image reference, <repo>/<app>:<tag>, in
// lower case. It fails when the result is not a valid image reference, or
// when the tag is empty or "latest" (an image is never replaced under an
// old name).
func ImageName(repo, app, tag string) (string, error) {
	if err := ValidateTag(tag); err != nil {
		return "", err
	}
	s := strings.ToLower(repo + "/" + app + ":" + tag)
	if _, err := name.NewTag(s, name.WeakValidation); err != nil {
		return "", fmt.Errorf("image name %q is not a valid docker reference: %v", s, err)
	}
	return familiar(s), nil
}

// familiar is the short form docker shows of a Docker Hub name:
// docker.io/me/app:1 is me/app:1, docker.io/library/app:1 is app:1.
func familiar(s string) string {
	for _, hub := range []string{"docker.io/", "index.docker.io/"} {
		if rest, ok := strings.CutPrefix(s, hub); ok {
			if short, ok := strings.CutPrefix(rest, "library/"); ok && !strings.Contains(short, "/") {
				return short
			}
			return rest
		}
	}
	return s
}

// ValidateTag reports whether tag can be the tag of an app image: at most
// 128 letters, digits, '_', '.' and '-', not starting with '.' or '-', and
// not "latest".
func ValidateTag(tag string) error {
	switch {
	case tag == "":
		return fmt.Errorf("image tag is empty")
	case strings.EqualFold(tag, "latest"):
		return fmt.Errorf("image tag %q is not allowed: cupaas never replaces an image under an old name; use a tag that names the version", tag)
	}
	// The reference grammar's tag is [\w][\w.-]{0,127}: the parser checks
	// the characters and the length, the first character is checked here.
	if t, err := name.NewTag("repo/app:"+tag, name.WeakValidation); err != nil || t.TagStr() != tag || tag[0] == '.' || tag[0] == '-' {
		return fmt.Errorf("invalid image tag %q: a tag is at most 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'", tag)
	}
	return nil
}
