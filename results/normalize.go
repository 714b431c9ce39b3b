package results

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxErrorText bounds a normalised error text, so that an error quoting a
// whole response body cannot blow up the error table or the wire format.
const maxErrorText = 256

// NormalizeError turns an error into the text failures are grouped by.
// Errors that differ only in things that vary from one request to the next
// (local ports, addresses, the request URL, long numbers such as ids, memory
// addresses) normalise to the same text:
//
//	dial tcp 127.0.0.1:54321: connect: connection refused  →  dial tcp: connect: connection refused
//	Get "http://127.0.0.1:8080/albums/7": EOF               →  EOF
//
// A nil error gives the empty string.
func NormalizeError(err error) string {
	if err == nil {
		return ""
	}
	// The URL error's method and URL repeat what the entry key already says,
	// and the URL carries ids and ports.
	var ue *url.Error
	for errors.As(err, &ue) && ue.Err != nil {
		err = ue.Err
	}
	return NormalizeErrorText(err.Error())
}

// NormalizeErrorText applies NormalizeError's rules to an error message that
// is already a string, such as one received from another process.
func NormalizeErrorText(s string) string {
	fields := strings.Fields(s)
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		word, trail := splitTrailingPunct(f)
		if isVarying(word) {
			// A URL after a method ("Get "http://...": EOF") is net/http's
			// url.Error prefix: the entry key already names both.
			if strings.Contains(word, "://") && len(out) == 1 && isMethodWord(out[0]) {
				out = out[:0]
				continue
			}
			// Drop a preposition left dangling by the removed address, as in
			// "lookup example.invalid on 127.0.0.53:53: no such host".
			if n := len(out); n > 0 && (out[n-1] == "on" || out[n-1] == "to" || out[n-1] == "from") {
				out = out[:n-1]
			}
			if trail != "" && len(out) > 0 && !strings.HasSuffix(out[len(out)-1], trail) {
				out[len(out)-1] += trail
			}
			continue
		}
		out = append(out, maskNumbers(word)+trail)
	}
	return truncateText(strings.Join(out, " "), maxErrorText)
}

// StatusFailure is the failure text for an HTTP response whose status made
// the request fail, such as "HTTP 503 Service Unavailable". Both clients use
// it, so their failures group identically.
func StatusFailure(code int) string {
	if text := http.StatusText(code); text != "" {
		return "HTTP " + strconv.Itoa(code) + " " + text
	}
	return "HTTP " + strconv.Itoa(code)
}

// splitTrailingPunct separates trailing ':' and ',' from a word.
func splitTrailingPunct(f string) (word, trail string) {
	i := len(f)
	for i > 0 && (f[i-1] == ':' || f[i-1] == ',') {
		i--
	}
	return f[:i], f[i:]
}

// isVarying reports whether a word is an address, an address pair, or a
// URL: the parts of an error text that change between otherwise equal
// failures.
func isVarying(w string) bool {
	w = strings.Trim(w, `"'()<>`)
	if w == "" {
		return false
	}
	if strings.Contains(w, "://") {
		return true
	}
	if a, b, ok := strings.Cut(w, "->"); ok {
		return isAddress(a) && isAddress(b)
	}
	return isAddress(w)
}

// isMethodWord reports whether w is an HTTP method as net/http's url.Error
// prints it ("Get", "Post").
func isMethodWord(w string) bool {
	switch strings.ToUpper(w) {
	case "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE":
		return true
	}
	return false
}

// isAddress reports whether w is an IP address, with or without a port, or
// a host:port whose port is numeric.
func isAddress(w string) bool {
	if _, err := netip.ParseAddr(strings.Trim(w, "[]")); err == nil {
		return true
	}
	host, port, err := net.SplitHostPort(w)
	if err != nil {
		return false
	}
	if _, err := netip.ParseAddr(host); err != nil && !strings.ContainsAny(host, ".abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		// A host name needs a letter or a dot, so that "10:30" stays.
		return false
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return false
	}
	return true
}

// maskNumbers replaces digit runs of five or more (ids, byte offsets) and
// long hexadecimal pointers (0xc000123456) with placeholders ("N", "0x..."), while keeping
// short numbers such as HTTP status codes.
func maskNumbers(w string) string {
	if !strings.ContainsAny(w, "0123456789") {
		return w
	}
	var b strings.Builder
	for i := 0; i < len(w); {
		if strings.HasPrefix(w[i:], "0x") {
			j := i + 2
			for j < len(w) && isHex(w[j]) {
				j++
			}
			if j-i-2 >= 6 {
				b.WriteString("0x...")
				i = j
				continue
			}
		}
		if isDigit(w[i]) {
			j := i
			for j < len(w) && isDigit(w[j]) {
				j++
			}
			if j-i >= 5 {
				b.WriteString("N")
			} else {
				b.WriteString(w[i:j])
			}
			i = j
			continue
		}
		b.WriteByte(w[i])
		i++
	}
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F') }

// truncateText cuts s to at most n bytes without splitting a UTF-8 rune.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
