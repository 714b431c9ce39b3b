package threshold

import "cmp"

// op is a comparison between the measured value and the limit.
type op uint8

const (
	opLess op = iota + 1
	opLessEqual
	opGreater
	opGreaterEqual
	opEqual
	opNotEqual
)

func (o op) String() string {
	switch o {
	case opLess:
		return "<"
	case opLessEqual:
		return "<="
	case opGreater:
		return ">"
	case opGreaterEqual:
		return ">="
	case opEqual:
		return "=="
	case opNotEqual:
		return "!="
	}
	return "?"
}

// holds reports whether "measured op limit" is true, given
// cmp.Compare(measured, limit).
func (o op) holds(c int) bool {
	switch o {
	case opLess:
		return c < 0
	case opLessEqual:
		return c <= 0
	case opGreater:
		return c > 0
	case opGreaterEqual:
		return c >= 0
	case opEqual:
		return c == 0
	case opNotEqual:
		return c != 0
	}
	return false
}

// upperBound reports whether the comparison caps the value from above, so
// that a growing value which fails it once cannot pass it later.
func (o op) upperBound() bool { return o == opLess || o == opLessEqual }

func compare[T cmp.Ordered](o op, measured, limit T) bool {
	return o.holds(cmp.Compare(measured, limit))
}
