// Package render generates what Docker and Kubernetes need from a validated
// `.cupaas.yml`: the Dockerfile of the app's image, and the Kubernetes
// objects of the app and its backing services.
//
// Everything here is a pure function of its arguments: no disk I/O (the
// templates come from an embed.FS), no clock, no randomness. The same input
// always gives byte-identical output.
//
// Layout:
//
//	dockerfile.go              Language interface, registry, Dockerfile
//	python.go node.go golang.go  one small type per language
//	templates/<language>/Dockerfile.tmpl
//	manifests.go               Input and Manifests: the typed objects
//	services.go                what each backing service needs
//	encode.go                  Encode: deterministic multi-document YAML
//	image.go                   ImageName, ValidateTag
//
// Adding a language means adding one template and one type implementing
// Language, and listing the type in languages().
package render
