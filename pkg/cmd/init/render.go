package init

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/kballard/go-shellquote"
	"gopkg.in/yaml.v3"

	"github.com/cupaas/cupaas/pkg/build"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/config/schema"
)

// Render writes the answers as `.cupaas.yml` text. Service versions are
// pinned explicitly (a default that changes in a later cupaas must never
// move an app's database to another major version).
func Render(a Answers) ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, value *yaml.Node, comment string) {
		k := &yaml.Node{Kind: yaml.ScalarNode, Value: key}
		if comment != "" {
			value.LineComment = comment
		}
		root.Content = append(root.Content, k, value)
	}
	scalar := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }
	str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

	if a.Name != "" {
		add("name", str(a.Name), "")
	}
	if a.Runtime != "" {
		add("runtime", str(a.Runtime), "")
	}
	if a.Dockerfile != "" {
		add("dockerfile", str(a.Dockerfile), "")
	}
	if a.Entrypoint != "" {
		argv, err := shellquote.Split(a.Entrypoint)
		if err != nil {
			return nil, fmt.Errorf("entrypoint %q cannot be split into words: %v", a.Entrypoint, err)
		}
		seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, w := range argv {
			seq.Content = append(seq.Content, str(w))
		}
		add("entrypoint", seq, "")
	}
	if a.Port != "" {
		add("port", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: a.Port}, "the app gets it as $PORT and must listen on 0.0.0.0")
	}
	if a.Healthcheck != "" {
		add("healthcheck", str(a.Healthcheck), "")
	}
	if len(a.Services) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, s := range a.Services {
			name, version, _ := strings.Cut(s, ":")
			spec, ok := config.LookupService(strings.TrimSpace(name))
			if !ok {
				// Leave it for config.Parse to report with a suggestion.
				seq.Content = append(seq.Content, str(s))
				continue
			}
			if version == "" {
				version = spec.DefaultVersion
			}
			item := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{scalar(spec.Name), scalar(version)}}
			seq.Content = append(seq.Content, item)
		}
		add("services", seq, "")
	}
	if a.Release != "" {
		argv, err := shellquote.Split(a.Release)
		if err != nil {
			return nil, fmt.Errorf("release %q cannot be split into words: %v", a.Release, err)
		}
		seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, w := range argv {
			seq.Content = append(seq.Content, str(w))
		}
		add("release", seq, "runs once per deploy, before the app's new pods start")
	}
	var b bytes.Buffer
	// Editors with the YAML language server read the schema from this line.
	b.WriteString(schema.Modeline(build.Current().Version) + "\n")
	b.WriteString("# cupaas app config: see the .cupaas.yml reference in the cupaas README; check it with `cupaas validate`\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
