package cluster

import (
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/cupaas/cupaas/pkg/safefile"
)

// minikubeProvider is the provider minikube writes in the extensions of
// the clusters and contexts it adds to a kubeconfig.
const minikubeProvider = "minikube.sigs.k8s.io"

// maxKubeconfig bounds the size of a kubeconfig file read for detection.
const maxKubeconfig = 4 << 20

type kubeconfig struct {
	Clusters []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Extensions []namedExtension `yaml:"extensions"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Contexts []struct {
		Name    string `yaml:"name"`
		Context struct {
			Cluster    string           `yaml:"cluster"`
			Extensions []namedExtension `yaml:"extensions"`
		} `yaml:"context"`
	} `yaml:"contexts"`
}

type namedExtension struct {
	Extension struct {
		Provider string `yaml:"provider"`
	} `yaml:"extension"`
}

func hasProvider(exts []namedExtension, provider string) bool {
	for _, e := range exts {
		if e.Extension.Provider == provider {
			return true
		}
	}
	return false
}

// kubeconfigFiles are the files kubectl reads: $KUBECONFIG's list, else
// ~/.kube/config.
func kubeconfigFiles() []string {
	if v := os.Getenv("KUBECONFIG"); v != "" {
		return filepath.SplitList(v)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return nil
	}
	return []string{filepath.Join(home, ".kube", "config")}
}

// madeByMinikube tells whether minikube wrote the kube context: its
// context or its cluster carries minikube's provider extension, as
// `minikube start -p NAME` writes for a profile of any name. A file that
// cannot be read or parsed says nothing.
func madeByMinikube(kubeContext string) bool {
	for _, path := range kubeconfigFiles() {
		data, err := safefile.ReadFile(path, maxKubeconfig)
		if err != nil {
			continue
		}
		var kc kubeconfig
		if yaml.Unmarshal(data, &kc) != nil {
			continue
		}
		for _, c := range kc.Contexts {
			if c.Name != kubeContext {
				continue
			}
			if hasProvider(c.Context.Extensions, minikubeProvider) {
				return true
			}
			for _, cl := range kc.Clusters {
				if cl.Name == c.Context.Cluster && hasProvider(cl.Cluster.Extensions, minikubeProvider) {
					return true
				}
			}
		}
	}
	return false
}
