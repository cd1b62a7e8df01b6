package env

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/cupaas/cupaas/pkg/run/runtest"
)

// The temporary copy of the secrets is never in the app directory, where
// a process killed before the rename would leave it for docker build and
// git to pick up: every name created in the app directory during `env
// set` is watched (inotify).
func TestSetMakesNoTemporaryCopyInTheAppDir(t *testing.T) {
	dir := app(t)
	os.WriteFile(filepath.Join(dir, ".cupaas.env"), []byte("OLD=1\n"), 0o600)
	os.WriteFile(filepath.Join(dir, ".gitignore"), []byte(".cupaas.env\n.cupaas/\n"), 0o644)
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_CREATE|syscall.IN_MOVED_TO); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runEnv(t, dir, runtest.New(t), "", "set", "API_KEY=s3cr3t"); err != nil {
		t.Fatal(err)
	}
	var created []string
	buf := make([]byte, 64*1024)
	for {
		n, err := syscall.Read(fd, buf)
		if n <= 0 || err != nil {
			break
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+int(ev.Len)]
			created = append(created, string(bytes.TrimRight(name, "\x00")))
			off += syscall.SizeofInotifyEvent + int(ev.Len)
		}
	}
	if len(created) == 0 {
		t.Fatal("no event seen: the watch does not work")
	}
	for _, name := range created {
		if strings.Contains(name, "cupaas.env") && name != ".cupaas.env" {
			t.Errorf("%s was created in the app directory (events: %q)", name, created)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(dir, ".cupaas.env")); string(data) != "OLD=1\nAPI_KEY=s3cr3t\n" {
		t.Fatalf(".cupaas.env = %q", data)
	}
}
