package config

import (
	"fmt"
	"strings"
)

// SanitizeName turns any string into a DNS-1123 label: lower case, only
// [a-z0-9-], at most 63 characters, no leading or trailing '-'. Runs of other
// characters become one '-'. A name starting with a digit gets the prefix
// "app-", since Kubernetes Service names must start with a letter.
// `My_App.v2` becomes `my-app-v2`. It returns "" when nothing usable is left.
func SanitizeName(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	out := b.String()
	if out != "" && out[0] >= '0' && out[0] <= '9' {
		out = "app-" + out
	}
	return truncateLabel(out, 63)
}

func truncateLabel(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.TrimRight(s, "-")
}

// reservedNames cannot be app names: the app's namespace carries its name.
var reservedNames = map[string]bool{"default": true, "kube-system": true, "kube-public": true, "kube-node-lease": true}

// checkName reports why a sanitised name cannot be used, or nil.
func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("is empty after keeping only letters, digits and '-'")
	case reservedNames[name] || strings.HasPrefix(name, "kube-"):
		return fmt.Errorf("%q is reserved by Kubernetes (the app's namespace carries its name); choose another name", name)
	case len(name) > MaxNameLength:
		return fmt.Errorf("%q is %d characters; cupaas allows at most %d so that derived names such as %s-postgresql-0 fit Kubernetes' limits", name, len(name), MaxNameLength, name)
	}
	return nil
}
