package envfile

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// How godotenv (v1.5) reads a value, and so how one must be written:
//
//   - Unquoted: to the end of the line ('\n' or '\r'), cut at the last '#'
//     that follows a blank, blanks trimmed on both sides; `$NAME`, `${NAME}`
//     expand to earlier entries, `\$` is a literal '$'.
//   - Single-quoted: literal, to the next ' not preceded by a backslash; so
//     no ' inside and no backslash at the end. The whole file has "\r\n"
//     turned into "\n" first, so no "\r\n" inside either.
//   - Double-quoted: to the next " not preceded by a backslash; \n and \r
//     are newline and carriage return, \X is X for any other X except that
//     `\$` is a literal '$' and a bare `$` expands. Trailing '"' characters
//     of the value are trimmed away, so it cannot end with '"', and it cannot
//     end with a backslash (the closing quote would be escaped).
//
// encodings lists the ways to write a value, the most readable first.

// CheckValue reports why value cannot be stored in a dotenv file, or nil.
// Every value it accepts reads back exactly as itself.
func CheckValue(value string) error {
	_, err := encodings(value)
	return err
}

// encodings returns the ways to write value that godotenv reads back as
// value, best first; an error when there is none.
func encodings(value string) ([]string, error) {
	switch {
	case !utf8.ValidString(value):
		return nil, errors.New("the value is not valid UTF-8 text")
	case strings.IndexByte(value, 0) >= 0:
		return nil, errors.New("the value contains a NUL byte, which no environment variable can hold")
	case value == "":
		return []string{"", "''", `""`}, nil
	}
	var out []string
	if isPlain(value) {
		out = append(out, value)
	}
	singleOK := !strings.Contains(value, "'") && !strings.HasSuffix(value, `\`)
	if singleOK && !strings.Contains(value, "\r") {
		out = append(out, "'"+value+"'")
	}
	if !strings.HasSuffix(value, `"`) && !strings.HasSuffix(value, `\`) {
		out = append(out, `"`+doubleEscaper.Replace(value)+`"`)
	}
	if unquotedOK(value) && !isPlain(value) {
		out = append(out, strings.ReplaceAll(value, "$", `\$`))
	}
	if singleOK && strings.Contains(value, "\r") && !strings.Contains(value, "\r\n") {
		out = append(out, "'"+value+"'") // a raw carriage return: last resort
	}
	if len(out) > 0 {
		return out, nil
	}
	what := "ends with a backslash"
	if !strings.HasSuffix(value, `\`) {
		what = "ends with a double quote, contains a single quote (or \\r\\n)"
	}
	return nil, errors.New("a dotenv file cannot hold a value that " + what +
		" and also has a line break, a leading quote, leading or trailing blanks, or a '#' after a blank; change its last character")
}

// isPlain reports whether value is a word that needs no quotes at all.
func isPlain(value string) bool {
	for i := 0; i < len(value); i++ {
		c := value[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("_-./:@%+,=^~*!?&<>()[]{}|;", c) >= 0:
		default:
			return false
		}
	}
	return true
}

var doubleEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "\n", `\n`, "\r", `\r`)

// unquotedOK reports whether value can be written unquoted (with every '$'
// escaped).
func unquotedOK(value string) bool {
	if strings.ContainsAny(value, "\r\n") || value[0] == '\'' || value[0] == '"' {
		return false
	}
	first, _ := utf8.DecodeRuneInString(value)
	last, _ := utf8.DecodeLastRuneInString(value)
	if isBlank(first) || isBlank(last) {
		return false
	}
	prev := rune(0)
	for _, r := range value {
		if r == '#' && isBlank(prev) {
			return false
		}
		prev = r
	}
	return true
}
