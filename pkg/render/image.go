package render

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
)

// ImageName returns the app's image reference, <repo>/<app>:<tag>, in
// lower case. It fails when the result is not a valid docker reference, or when
// the tag is empty or "latest" (an image is never replaced under an old
// name).
func ImageName(repo, app, tag string) (string, error) {
	if err := ValidateTag(tag); err != nil {
		return "", err
	}
	s := strings.ToLower(repo + "/" + app + ":" + tag)
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return "", fmt.Errorf("image name %q is not a valid docker reference: %v", s, err)
	}
	if _, ok := named.(reference.NamedTagged); !ok {
		return "", fmt.Errorf("image name %q has no tag", s)
	}
	return reference.FamiliarString(named), nil
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
	repo, err := reference.ParseNormalizedNamed("repo/app")
	if err != nil {
		return fmt.Errorf("internal error: %v", err)
	}
	if _, err := reference.WithTag(repo, tag); err != nil {
		return fmt.Errorf("invalid image tag %q: a tag is at most 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'", tag)
	}
	return nil
}
