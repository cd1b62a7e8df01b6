// Package envfile reads and writes `.cupaas.env`, the app's secrets, in
// dotenv format.
//
// Values mean exactly what github.com/joho/godotenv says they mean (quotes,
// escapes, multi-line quoted values, `export `, comments, `$VAR` expansion):
// every entry is decoded by godotenv itself. Comments, blank lines and lines
// that are not entries are kept verbatim and in order when the file is
// rewritten, so a File is an editable document, not just a map.
//
// Lines that are not entries are ignored, where godotenv would refuse the
// whole file; BadLines lists them so that a caller can warn.
package envfile

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/joho/godotenv"

	"github.com/cupaas/cupaas/pkg/atomicfile"
	"github.com/cupaas/cupaas/pkg/config"
	"github.com/cupaas/cupaas/pkg/safefile"
)

// Name is the file name of the app's secrets, next to `.cupaas.yml`.
const Name = ".cupaas.env"

// Mode is the permission of the file: readable by its owner only.
const Mode fs.FileMode = 0o600

// ValidKey reports whether key is a valid variable name:
// [A-Za-z_][A-Za-z0-9_]*.
func ValidKey(key string) bool {
	if key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// File is a parsed `.cupaas.env`: an ordered document of entries and other
// lines. The zero File is an empty document.
//
// A File always describes exactly the text Bytes returns: parsing Bytes()
// again gives the same keys and values.
type File struct {
	segs []segment
	vals map[string]string
}

// segment is a run of the document: one entry (key set), possibly spanning
// several lines when its value is quoted, or one other line. Its text
// includes its line ending; only the last segment may lack one.
type segment struct {
	key  string
	text string
	// valStart and valEnd delimit the value as written (quotes included)
	// in text, for Set to replace it and keep the rest of the line.
	valStart, valEnd int
	line             int // 1-based number of its first line
}

// MaxFileSize bounds the size of `.cupaas.env`: a little over what the 1 MiB
// of a Secret can take once written as dotenv (quotes, escapes, comments).
// A larger file is refused before it is read.
const MaxFileSize = 4 << 20

// MaxSecretSize is Kubernetes' limit on the data of one Secret.
const MaxSecretSize = 1 << 20

// Load reads path; a missing file is an empty File. A file that cannot
// reach the app as it is (see Problems) is refused: the error is a
// *config.Error listing each problem as `path:LINE: message` (exit code 2),
// without the lines themselves, which hold secrets. So is a file that is
// not a regular file or is over MaxFileSize, found before reading it.
func Load(path string) (*File, error) {
	data, err := safefile.ReadFile(path, MaxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{}, nil
	}
	var notRegular *safefile.NotRegularError
	var tooLarge *safefile.TooLargeError
	switch {
	case errors.As(err, &notRegular):
		return nil, fileError(path, notRegular.Reason()+"; it must be a dotenv file")
	case errors.As(err, &tooLarge):
		return nil, fileError(path, tooLarge.Reason()+": its values could not fit in a Secret (1 MiB at most); keep large files out of environment variables")
	case err != nil:
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	f, err := Parse(data)
	if le := (*lineError)(nil); errors.As(err, &le) {
		return nil, AsError(path, []Problem{{Line: le.line, Msg: le.msg}})
	}
	if err != nil {
		return nil, err
	}
	if ps := f.Problems(); len(ps) > 0 {
		return nil, AsError(path, ps)
	}
	return f, nil
}

func fileError(path, msg string) error {
	return &config.Error{Problems: []config.Problem{{File: path, Msg: msg}}}
}

// Problem is a line of a dotenv file that keeps it from reaching the app.
type Problem struct {
	// Line is 1-based; 0 when the problem concerns the whole file.
	Line int
	Msg  string
}

// AsError returns the problems of the file at path as a *config.Error (exit
// code 2), without source lines: a snippet would show a secret.
func AsError(path string, ps []Problem) *config.Error {
	e := &config.Error{}
	for _, p := range ps {
		e.Problems = append(e.Problems, config.Problem{File: path, Line: p.Line, Msg: p.Msg})
	}
	return e
}

// Problems lists, in file order, the entries whose variable cannot reach
// the app: a name that is not ValidKey (godotenv accepts `A.B=1`, an
// environment cannot), a value with a NUL byte, and a variable too large for
// a process environment (config.CheckEnvSize). For a key set several times
// only the last entry counts, as it does for its value.
func (f *File) Problems() []Problem {
	last := map[string]int{}
	for i, s := range f.segs {
		if s.key != "" {
			last[s.key] = i
		}
	}
	var out []Problem
	for i, s := range f.segs {
		if s.key == "" || last[s.key] != i {
			continue
		}
		v := f.vals[s.key]
		switch {
		case !ValidKey(s.key):
			out = append(out, Problem{s.line, fmt.Sprintf("%q is not a valid variable name: use letters, digits and '_', not starting with a digit; rename it or delete the line", s.key)})
		case strings.IndexByte(v, 0) >= 0:
			out = append(out, Problem{s.line, fmt.Sprintf("the value of %s contains a NUL byte, which no environment variable can hold; fix or delete the line", s.key)})
		default:
			if err := config.CheckEnvSize(s.key, v); err != nil {
				out = append(out, Problem{s.line, err.Error()})
			}
		}
	}
	return out
}

// Line returns the line of the entry that sets key (the last one), or 0.
func (f *File) Line(key string) int {
	n := 0
	for _, s := range f.segs {
		if s.key == key {
			n = s.line
		}
	}
	return n
}

// Check returns the problems that keep f from reaching the app c
// describes, beside f.Problems: a key cupaas sets itself (PORT, a
// service's connection settings), a key also set under env: in c.File,
// and values that together exceed what the app's Secret can hold.
func (f *File) Check(c *config.Config) []Problem {
	out := f.Problems()
	injected := c.InjectedEnv()
	plain := map[string]bool{}
	for _, e := range c.Env {
		plain[e.Key] = true
	}
	for _, k := range f.Keys() {
		switch src := injected[k]; {
		case src == "port":
			out = append(out, Problem{f.Line(k), fmt.Sprintf("PORT cannot be set: cupaas sets it from `port:` in %s; delete the line", c.File)})
		case src != "":
			out = append(out, Problem{f.Line(k), fmt.Sprintf("%s cannot be set: cupaas sets it for the %s service; delete the line", k, src)})
		case plain[k]:
			out = append(out, Problem{f.Line(k), fmt.Sprintf("%s is set both here and under env: in %s; keep one of them", k, c.File)})
		}
	}
	size := 0
	for k, v := range f.vals {
		size += len(k) + len(v)
	}
	if size > MaxSecretSize {
		out = append(out, Problem{0, fmt.Sprintf("its variables take %s, over Kubernetes' limit of 1 MiB (%d bytes) for the app's Secret %s-env; keep large files out of environment variables", safefile.Size(int64(size)), MaxSecretSize, c.Name)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

// lineError is a Parse error at a line.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// Parse reads a dotenv document. An entry is a line `KEY=value` (or
// `export KEY=value`, or `KEY: value`) whose value, with the following lines
// when it is quoted, godotenv reads as exactly that one key; anything else is
// kept as an other line. The only error is text that is not UTF-8.
func Parse(data []byte) (*File, error) {
	text := string(data)
	if !utf8.ValidString(text) {
		i := 0
		for i < len(text) {
			r, n := utf8.DecodeRuneInString(text[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return nil, &lineError{line: 1 + strings.Count(text[:i], "\n"), msg: "not valid UTF-8 text; save the file as UTF-8"}
	}
	segs := split(text)
	vals, err := decode(segs)
	if err != nil {
		return nil, err
	}
	return &File{segs: segs, vals: vals}, nil
}

// bom is the byte order mark some Windows editors start a UTF-8 file with.
const bom = "\ufeff"

// split cuts text into segments. A leading byte order mark is a segment of
// its own, so that the first line can still be an entry.
func split(text string) []segment {
	var segs []segment
	line, pos := 1, 0
	if strings.HasPrefix(text, bom) {
		segs = append(segs, segment{text: bom, line: 1})
		pos = len(bom)
	}
	for pos < len(text) {
		end := len(text)
		if i := strings.IndexByte(text[pos:], '\n'); i >= 0 {
			end = pos + i + 1
		}
		seg, ok := entryAt(text, pos, end)
		if !ok {
			seg = segment{text: text[pos:end]}
		}
		seg.line = line
		segs = append(segs, seg)
		line += strings.Count(seg.text, "\n")
		pos += len(seg.text)
	}
	return segs
}

// entryAt reads the entry that starts the line text[pos:lineEnd], if it is
// one. A quoted value may go on past lineEnd, the way godotenv reads it: up
// to the next same quote not preceded by a backslash; the entry then ends
// with the line of that quote.
func entryAt(text string, pos, lineEnd int) (segment, bool) {
	line := text[pos:lineEnd]
	key, valStart, ok := head(line)
	if !ok {
		return segment{}, false
	}
	end, valEnd := lineEnd, 0
	if valStart < len(line) && (line[valStart] == '\'' || line[valStart] == '"') {
		q := line[valStart]
		closing := -1
		for i := pos + valStart + 1; i < len(text); i++ {
			if text[i] == q && text[i-1] != '\\' {
				closing = i
				break
			}
		}
		if closing < 0 {
			return segment{}, false // unterminated
		}
		valEnd = closing + 1 - pos
		end = len(text)
		if i := strings.IndexByte(text[closing:], '\n'); i >= 0 {
			end = closing + i + 1
		}
	} else {
		valEnd = valStart + unquotedLen(line[valStart:])
	}
	seg := segment{key: key, text: text[pos:end], valStart: valStart, valEnd: valEnd}
	// godotenv has the last word: the entry must read as exactly this key.
	m, err := godotenv.Unmarshal(seg.text)
	if _, has := m[key]; err != nil || len(m) != 1 || !has {
		return segment{}, false
	}
	return seg, true
}

// head reads the start of an entry line: indentation, an optional
// `export `, the key, `=` or `:` and the blanks after it. valStart is where
// the value starts.
func head(line string) (key string, valStart int, ok bool) {
	i := skipBlanks(line, 0)
	if rest := line[i:]; strings.HasPrefix(rest, "export") {
		j := i + len("export")
		if k := skipBlanks(line, j); k > j {
			if key, valStart, ok := keyAndSep(line, k); ok {
				return key, valStart, true
			}
		}
	}
	return keyAndSep(line, i)
}

func keyAndSep(line string, i int) (string, int, bool) {
	start := i
	for i < len(line) {
		c := line[i]
		if c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > start && ('0' <= c && c <= '9' || c == '.') {
			i++
			continue
		}
		break
	}
	if i == start {
		return "", 0, false
	}
	key := line[start:i]
	i = skipBlanks(line, i)
	if i == len(line) || line[i] != '=' && line[i] != ':' {
		return "", 0, false
	}
	return key, skipBlanks(line, i+1), true
}

// isBlank is godotenv's notion of a space: blank characters except '\n'.
func isBlank(r rune) bool {
	switch r {
	case '\t', '\v', '\f', '\r', ' ', 0x85, 0xA0:
		return true
	}
	return false
}

func skipBlanks(s string, i int) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isBlank(r) {
			break
		}
		i += n
	}
	return i
}

// unquotedLen is the length of an unquoted value at the start of s as
// godotenv reads it: up to the end of the line, or to a '#' after a blank
// (the last such '#'), without trailing blanks.
func unquotedLen(s string) int {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	for i := len(s) - 1; i > 0; i-- {
		if s[i] == '#' {
			if r, _ := utf8.DecodeLastRuneInString(s[:i]); isBlank(r) {
				s = s[:i]
				break
			}
		}
	}
	return len(strings.TrimRightFunc(s, isBlank))
}

// decode reads the values of all entries with godotenv at once, in order,
// so that `$OTHER` means what godotenv makes of it: the value of an earlier
// entry.
func decode(segs []segment) (map[string]string, error) {
	var b strings.Builder
	for _, s := range segs {
		if s.key != "" {
			b.WriteString(s.text)
			if !strings.HasSuffix(s.text, "\n") {
				b.WriteByte('\n')
			}
		}
	}
	vals, err := godotenv.Unmarshal(b.String())
	if err != nil {
		// Each entry was read alone already; together they cannot fail.
		return nil, fmt.Errorf("cannot be read as a dotenv file: %w", err)
	}
	return vals, nil
}

// Get returns the value of key.
func (f *File) Get(key string) (string, bool) {
	v, ok := f.vals[key]
	return v, ok
}

// Keys returns the keys in file order (of their first entry), each once.
func (f *File) Keys() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range f.segs {
		if s.key != "" && !seen[s.key] {
			seen[s.key] = true
			out = append(out, s.key)
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

// BadLines returns the numbers (from 1) of the lines that are neither
// blank, comments nor entries: they are kept verbatim but define nothing.
// godotenv itself would refuse a file that has any.
func (f *File) BadLines() []int {
	var out []int
	for _, s := range f.segs {
		if t := strings.TrimLeftFunc(s.text, unicode.IsSpace); s.key == "" && t != "" && t[0] != '#' && t != bom {
			out = append(out, s.line)
		}
	}
	return out
}

// Bytes is the document's text.
func (f *File) Bytes() []byte {
	var b strings.Builder
	for _, s := range f.segs {
		b.WriteString(s.text)
	}
	return []byte(b.String())
}

// Set stores value under key. When key has entries, the last one (the one
// dotenv uses) is rewritten in place, keeping its `export `, indentation
// and trailing comment where it can; earlier duplicates are left alone.
// Otherwise an entry is appended, with the line ending the file uses.
//
// The value is written so that godotenv reads back exactly value, and Set
// checks that it does: on error (a key that is not ValidKey, a value that
// CheckValue refuses, or a malformed quoted line elsewhere in the file that
// the new entry would change the meaning of) the File is left unchanged.
func (f *File) Set(key, value string) error {
	if !ValidKey(key) {
		return fmt.Errorf("invalid key %q: use letters, digits and '_', not starting with a digit", key)
	}
	encs, err := encodings(value)
	if err != nil {
		return fmt.Errorf("cannot store %s: %w", key, err)
	}
	last := -1
	for i, s := range f.segs {
		if s.key == key {
			last = i
		}
	}
	var texts []string
	if last >= 0 {
		s := f.segs[last]
		for _, e := range encs {
			texts = append(texts, s.text[:s.valStart]+e+s.text[s.valEnd:])
		}
		for _, e := range encs { // plain `KEY=value`, in case the rest of the line gets in the way
			texts = append(texts, key+"="+e+lineEnding(s.text))
		}
	} else {
		for _, e := range encs {
			texts = append(texts, key+"="+e+f.eol())
		}
	}
	for _, t := range texts {
		if g, ok := f.with(last, t, key, value); ok {
			*f = *g
			return nil
		}
	}
	limit := len(f.segs)
	if last >= 0 {
		limit = last
	}
	for _, s := range f.segs[:limit] {
		if s.brokenQuote() {
			return fmt.Errorf("cannot store %s: line %d starts a quoted value that is not closed properly, and the new entry would become part of it; fix or delete that line first", key, s.line)
		}
	}
	return fmt.Errorf("cannot store %s: the file would not read back as written; check its quotes", key)
}

// brokenQuote reports whether s is a line that starts like an entry with a
// quoted value but is not one (unterminated, or text after the quote).
func (s segment) brokenQuote() bool {
	if s.key != "" {
		return false
	}
	_, valStart, ok := head(s.text)
	return ok && valStart < len(s.text) && (s.text[valStart] == '\'' || s.text[valStart] == '"')
}

// with returns the File whose text is f's with segment i replaced by text
// (appended when i < 0), if that text reads as f's other segments unchanged
// plus key=value.
func (f *File) with(i int, text, key, value string) (*File, bool) {
	want := make([]string, 0, len(f.segs)+1)
	for _, s := range f.segs {
		want = append(want, s.text)
	}
	if i >= 0 {
		want[i] = text
	} else {
		if n := len(want); n > 0 && !strings.HasSuffix(want[n-1], "\n") {
			want[n-1] += f.eol()
		}
		want = append(want, text)
		i = len(want) - 1
	}
	segs := split(strings.Join(want, ""))
	if len(segs) != len(want) {
		return nil, false
	}
	for j, s := range segs {
		wantKey := ""
		if j == i {
			wantKey = key
		} else if j < len(f.segs) {
			wantKey = f.segs[j].key
		}
		if s.text != want[j] || s.key != wantKey {
			return nil, false
		}
	}
	vals, err := decode(segs)
	if err != nil || vals[key] != value {
		return nil, false
	}
	return &File{segs: segs, vals: vals}, true
}

// Unset removes every entry of key and reports whether there was one.
//
// In a file with a malformed quoted line (which godotenv itself refuses),
// removing an entry can change how that line reads; the File then describes
// the new reading, which is what Bytes will mean.
func (f *File) Unset(key string) bool {
	had := false
	for {
		kept := make([]string, 0, len(f.segs))
		removed := false
		for _, s := range f.segs {
			if s.key == key {
				removed = true
				continue
			}
			kept = append(kept, s.text)
		}
		if !removed {
			return had
		}
		had = true
		segs := split(strings.Join(kept, ""))
		vals, err := decode(segs)
		if err != nil {
			vals = map[string]string{} // cannot happen: see decode
		}
		f.segs, f.vals = segs, vals
	}
}

// eol is the line ending of the file's first line, "\n" by default.
func (f *File) eol() string {
	for _, s := range f.segs {
		if i := strings.IndexByte(s.text, '\n'); i >= 0 {
			if i > 0 && s.text[i-1] == '\r' {
				return "\r\n"
			}
			return "\n"
		}
	}
	return "\n"
}

// lineEnding is the line ending text ends with.
func lineEnding(text string) string {
	switch {
	case strings.HasSuffix(text, "\r\n"):
		return "\r\n"
	case strings.HasSuffix(text, "\n"):
		return "\n"
	}
	return ""
}

// Write saves the document to path atomically, with mode 0600.
func (f *File) Write(path string) error { return WriteAtomic(path, f.Bytes(), Mode) }

// WriteVia is Write with the temporary copy in tmpDir (see
// atomicfile.WriteVia): a directory that no build and no commit picks up,
// so that a write killed half-way leaves no copy of the secrets next to
// path.
func (f *File) WriteVia(path, tmpDir string) error {
	return atomicfile.WriteVia(path, tmpDir, f.Bytes(), Mode)
}

// WriteAtomic replaces path with data so that no reader, and no crash,
// ever sees a partial file: it writes a temporary file in the same
// directory, syncs it, gives it mode perm, renames it over path and syncs
// the directory (where the platform can). On error the old file is left as
// it was and the temporary file is removed.
func WriteAtomic(path string, data []byte, perm fs.FileMode) error {
	return atomicfile.Write(path, data, perm)
}
