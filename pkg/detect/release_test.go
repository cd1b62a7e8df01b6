package detect

import (
	"slices"
	"testing"
	"testing/fstest"
)

// init proposes a release command for the migrations it recognises, and
// none when it finds none.
func TestDetectRelease(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name  string
		files fstest.MapFS
		want  []string
	}{
		{"django", fstest.MapFS{"requirements.txt": file("django\n"), "manage.py": file("")}, []string{"python", "manage.py", "migrate"}},
		{"alembic", fstest.MapFS{"requirements.txt": file("alembic\n"), "app.py": file(""), "alembic.ini": file("")}, []string{"alembic", "upgrade", "head"}},
		{"procfile release wins", fstest.MapFS{"requirements.txt": file("django\n"), "manage.py": file(""), "Procfile": file("web: gunicorn x.wsgi\nrelease: python manage.py migrate --noinput\n")}, []string{"python", "manage.py", "migrate", "--noinput"}},
		{"node migrate script", fstest.MapFS{"package.json": file(`{"scripts": {"start": "node app.js", "db:migrate": "knex migrate:latest"}}`)}, []string{"npm", "run", "db:migrate"}},
		{"rails-like", fstest.MapFS{"Dockerfile": file("FROM ruby\n"), "bin/rails": file(""), "db/migrate/001_init.rb": file("")}, []string{"bin/rails", "db:migrate"}},
		{"flask without migrations", fstest.MapFS{"requirements.txt": file("flask\n"), "app.py": file("")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := detectFS(tt.files, "app")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.ReleaseArgv, tt.want) {
				t.Fatalf("release = %q (%s), want %q", r.ReleaseArgv, r.Release.Reason, tt.want)
			}
		})
	}
}
