package trigger

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrInvalid is matched by every error that rejects a trigger definition:
// errors.Is(err, trigger.ErrInvalid).
var ErrInvalid = errors.New("invalid trigger")

// FieldError rejects a trigger definition and names the key to blame. Inside
// "and" / "or" the field is a path such as "triggers[1].hour".
type FieldError struct {
	// Field is the JSON key (or path to it) that holds the offending value.
	Field string
	// Value is the offending value or token as the user wrote it, if any.
	Value string
	// Reason says what is wrong and what is allowed.
	Reason string
}

// Error formats the error as `field: "value" reason`.
func (e *FieldError) Error() string {
	if e.Value == "" {
		return e.Field + ": " + e.Reason
	}
	return e.Field + ": " + strconv.Quote(e.Value) + " " + e.Reason
}

// Is reports that a FieldError is an ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

func fieldErr(field, value, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Value: value, Reason: fmt.Sprintf(format, args...)}
}

// prefixField puts path in front of the field of a FieldError, for errors
// found in a child of a combinator.
func prefixField(err error, path string) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		c := *fe
		c.Field = path + "." + fe.Field
		return &c
	}
	return fmt.Errorf("%s: %w", path, err)
}
