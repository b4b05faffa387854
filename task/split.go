package task

import (
	"errors"
	"fmt"
	"strings"
)

// errEmptyCommand: a command string held no words.
var errEmptyCommand = errors.New("holds no words")

// splitCommand splits a command line into words the way a shell splits
// plain words and quotes, and nothing more: words are separated by ASCII
// white space; single and double quotes group characters (white space
// included) into a word and are removed; quoted and unquoted parts next to
// each other join into one word ('a'"b"c is abc); an empty pair of quotes
// is an empty word. There is no expansion, no escaping (a backslash is an
// ordinary character), no variables, globs, pipes or redirections: "$HOME"
// stays $HOME and ';' is just a character of a word.
func splitCommand(s string) ([]string, error) {
	var (
		words  []string
		word   strings.Builder
		inWord bool // a word has started, possibly empty ('')
		quote  byte // the open quote, or 0
		openAt int  // where the open quote is, for the error
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				word.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, openAt, inWord = c, i, true
		case isSpace(c):
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("the %c quote at byte %d is not closed", quote, openAt)
	}
	if inWord {
		words = append(words, word.String())
	}
	if len(words) == 0 {
		return nil, errEmptyCommand
	}
	return words, nil
}

// isSpace reports whether c separates words: ASCII white space only, so
// multi-byte characters are never split.
func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}
