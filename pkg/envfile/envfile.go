// Package envfile reads and writes `.cupaas.env`, the app's secrets, in
// dotenv format. Values mean exactly what github.com/joho/godotenv says
// they mean (quotes, escapes, multi-line values, comments, `export `);
// comments, blank lines and lines that are not entries are kept verbatim
// and in order when the file is rewritten.
package envfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/joho/godotenv"

	"github.com/cupaas/cupaas/pkg/atomicfile"
)

// Name is the file name of the app's secrets, next to `.cupaas.yml`.
const Name = ".cupaas.env"

// Mode is the permission of the file: readable by its owner only.
const Mode fs.FileMode = 0o600

var (
	keyRe   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	entryRe = regexp.MustCompile(`^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.]*)[ \t]*[=:][ \t]*`)
	plainRe = regexp.MustCompile(`^[A-Za-z0-9_./:@%+,=\-^~*!?&<>()\[\]{}|;\\` + "`" + `]+$`)
)

// ValidKey reports whether key is a valid variable name:
// [A-Za-z_][A-Za-z0-9_]*.
func ValidKey(key string) bool { return keyRe.MatchString(key) }

// File is a parsed `.cupaas.env`, in file order.
type File struct {
	segs []segment
	vals map[string]string
}

// segment is a run of the file: an entry (Key set) or any other text.
type segment struct {
	Key  string
	Text string // including its line ending
}

// Load reads path; a missing file is an empty File.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{vals: map[string]string{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Parse splits data into entries and other lines, and decodes the entries
// with godotenv. An entry godotenv cannot read (an unterminated quote) is
// kept as an unknown line.
func Parse(data []byte) (*File, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("is not valid UTF-8 text")
	}
	f := &File{segs: split(string(data))}
	if err := f.decode(); err != nil {
		return nil, err
	}
	return f, nil
}

// split cuts text into segments, each ending with its newline (the last one
// may have none).
func split(text string) []segment {
	var segs []segment
	for len(text) > 0 {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line = text[:i+1]
		}
		m := entryRe.FindStringSubmatchIndex(line)
		if m == nil {
			segs = append(segs, segment{Text: line})
			text = text[len(line):]
			continue
		}
		key := line[m[2]:m[3]]
		rest := text[m[1]:]
		end := len(line)
		if len(rest) > 0 && (rest[0] == '"' || rest[0] == '\'') {
			closing := closingQuote(rest)
			if closing < 0 {
				segs = append(segs, segment{Text: line}) // unterminated: not an entry
				text = text[len(line):]
				continue
			}
			after := m[1] + closing + 1
			end = len(text)
			if i := strings.IndexByte(text[after:], '\n'); i >= 0 {
				end = after + i + 1
			}
		}
		segs = append(segs, segment{Key: key, Text: text[:end]})
		text = text[end:]
	}
	return segs
}

// closingQuote finds the quote that ends the quoted value at the start of s
// the way godotenv does: the next same quote not preceded by a backslash.
func closingQuote(s string) int {
	q := s[0]
	for i := 1; i < len(s); i++ {
		if s[i] == q && s[i-1] != '\\' {
			return i
		}
	}
	return -1
}

// decode reads all entries with godotenv at once (so `$OTHER` refers to
// earlier entries as godotenv defines it). Entries it refuses become
// unknown lines.
func (f *File) decode() error {
	for attempt := 0; attempt < 2; attempt++ {
		var b strings.Builder
		for _, s := range f.segs {
			if s.Key != "" {
				b.WriteString(s.Text)
				if !strings.HasSuffix(s.Text, "\n") {
					b.WriteByte('\n')
				}
			}
		}
		vals, err := godotenv.Unmarshal(b.String())
		if err == nil {
			f.vals = vals
			return nil
		}
		for i, s := range f.segs {
			if s.Key == "" {
				continue
			}
			if _, err := godotenv.Unmarshal(s.Text); err != nil {
				f.segs[i].Key = ""
			}
		}
	}
	return errors.New("cannot be read as a dotenv file")
}

// Get returns the value of key.
func (f *File) Get(key string) (string, bool) {
	v, ok := f.vals[key]
	return v, ok
}

// Keys returns the keys in file order, each once.
func (f *File) Keys() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range f.segs {
		if s.Key != "" && !seen[s.Key] {
			if _, ok := f.vals[s.Key]; ok {
				seen[s.Key] = true
				out = append(out, s.Key)
			}
		}
	}
	return out
}

// Map returns a copy of all values.
func (f *File) Map() map[string]string {
	out := make(map[string]string, len(f.vals))
	for k, v := range f.vals {
		out[k] = v
	}
	return out
}

// Set stores value under key: the last entry of key is rewritten in place
// (earlier duplicates, which dotenv ignores, are left alone), or a new entry
// is appended. Call CheckValue first: a value it refuses is not stored.
func (f *File) Set(key, value string) error {
	if !ValidKey(key) {
		return fmt.Errorf("invalid key %q: use letters, digits and '_', not starting with a digit", key)
	}
	enc, err := Quote(value)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	text := key + "=" + enc + "\n"
	if f.vals == nil {
		f.vals = map[string]string{}
	}
	f.vals[key] = value
	for i := len(f.segs) - 1; i >= 0; i-- {
		if f.segs[i].Key == key {
			f.segs[i].Text = text
			return nil
		}
	}
	if n := len(f.segs); n > 0 && !strings.HasSuffix(f.segs[n-1].Text, "\n") {
		f.segs[n-1].Text += "\n"
	}
	f.segs = append(f.segs, segment{Key: key, Text: text})
	return nil
}

// Unset removes every entry of key and reports whether there was one.
func (f *File) Unset(key string) bool {
	_, had := f.vals[key]
	delete(f.vals, key)
	kept := f.segs[:0]
	for _, s := range f.segs {
		if s.Key != key {
			kept = append(kept, s)
		}
	}
	f.segs = kept
	return had
}

// Bytes is the file's text.
func (f *File) Bytes() []byte {
	var b strings.Builder
	for _, s := range f.segs {
		b.WriteString(s.Text)
	}
	return []byte(b.String())
}

// Write saves the file atomically with mode 0600.
func (f *File) Write(path string) error { return WriteAtomic(path, f.Bytes(), Mode) }

// WriteAtomic replaces path with data: temporary file, fsync, rename.
func WriteAtomic(path string, data []byte, perm fs.FileMode) error {
	return atomicfile.Write(path, data, perm)
}

// CheckValue reports why value cannot be stored, or nil.
func CheckValue(value string) error {
	_, err := Quote(value)
	return err
}

// Quote encodes value so that godotenv reads back exactly value: plain when
// it is a simple word, single-quoted (literal) when it has no single quote
// and no carriage return, else double-quoted with \\, \", \$, \n and \r
// escaped.
func Quote(value string) (string, error) {
	switch {
	case !utf8.ValidString(value):
		return "", errors.New("the value is not valid UTF-8 text")
	case strings.IndexByte(value, 0) >= 0:
		return "", errors.New("the value contains a NUL byte, which no environment variable can hold")
	case value == "":
		return "", nil
	case plainRe.MatchString(value):
		return value, nil
	case !strings.ContainsAny(value, "'\r") && !strings.HasSuffix(value, `\`):
		return "'" + value + "'", nil
	case !strings.HasSuffix(value, `"`) && !strings.HasSuffix(value, `\`):
		r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "\n", `\n`, "\r", `\r`)
		return `"` + r.Replace(value) + `"`, nil
	}
	if strings.HasSuffix(value, `\`) {
		return "", errors.New("a dotenv file cannot hold a value that ends with a backslash unless it is a single word without spaces, quotes, '#' or '$'; change its last character")
	}
	return "", errors.New("a dotenv file cannot hold a value that contains a single quote or a carriage return and also ends with a double quote; change its last character")
}
