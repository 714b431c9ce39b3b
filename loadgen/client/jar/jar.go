// Package jar keeps one simulated user's cookies, as a browser (or a
// Locust HttpSession) does: it stores what Set-Cookie headers set and
// gives back the Cookie header to send with each request, following RFC
// 6265's rules for domains, paths, Secure and expiry.
//
// It is written for the request path of a load generator rather than taken
// from net/http/cookiejar, whose every call parses a URL and builds
// *http.Cookie values: here a request whose cookies did not change costs no
// allocation, and a cookie that is set again reuses its buffers. It keeps
// no public suffix list: a load test talks to the sites it is pointed at,
// so a cookie for a whole suffix (Domain=com) is simply refused, which is
// what a suffix list would mostly do.
package jar

import (
	"bytes"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxCookies bounds a jar, so that a target cannot grow a user's memory
// without limit; the cookie set longest ago makes room for a new one.
const MaxCookies = 300

// maxCookieBytes bounds one cookie's name and value together, as browsers
// do (4096 bytes).
const maxCookieBytes = 4096

// URL is what the jar needs of a request's URL.
type URL struct {
	// Secure is true for https.
	Secure bool
	// Host is the host name without port, as written in the URL.
	Host string
	// Path is the path, without query or fragment; "" means "/".
	Path string
}

// ParseURL splits an absolute http:// or https:// URL into what the jar
// needs, without allocating. ok is false for anything else.
func ParseURL(s string) (u URL, ok bool) {
	switch {
	case len(s) > 8 && strings.EqualFold(s[:8], "https://"):
		u.Secure, s = true, s[8:]
	case len(s) > 7 && strings.EqualFold(s[:7], "http://"):
		s = s[7:]
	default:
		return u, false
	}
	end := strings.IndexAny(s, "/?#")
	authority := s
	if end >= 0 {
		authority, s = s[:end], s[end:]
	} else {
		s = ""
	}
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		authority = authority[at+1:]
	}
	host := authority
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i > 0 {
			host = host[1:i]
		}
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	if host == "" {
		return u, false
	}
	u.Host = host
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	u.Path = s
	return u, true
}

// Jar is one user's cookies. It is not safe for concurrent use: a user
// owns its jar, as it owns its client.
type Jar struct {
	cookies []cookie
	seq     uint64
	order   []int
	// scratch buffers for the domain and path of a cookie being set, so
	// that setting a cookie again allocates nothing.
	dom, pth []byte
	// Now is the clock for expiry; nil means time.Now.
	Now func() time.Time
}

type cookie struct {
	name, value []byte
	// domain is lower case, without a leading dot.
	domain   []byte
	path     []byte
	hostOnly bool
	secure   bool
	// expires is in Unix nanoseconds; zero for a session cookie, which
	// lives as long as the user.
	expires int64
	created uint64
}

func (j *Jar) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

// Len is the number of cookies held, expired ones included until they are
// next looked at.
func (j *Jar) Len() int { return len(j.cookies) }

// SetCookie stores the cookie a Set-Cookie header value sets, received in
// a response to a request for u. A cookie the rules refuse (a domain that
// does not match the host, a malformed pair) is ignored, as browsers
// ignore it; one set with an expiry in the past, or Max-Age 0 or less, is
// deleted.
func (j *Jar) SetCookie(u URL, header []byte) {
	name, value, attrs := splitPair(header)
	if len(name) == 0 || len(name)+len(value) > maxCookieBytes || !validName(name) {
		return
	}
	host := u.Host
	c := cookie{hostOnly: true}
	var maxAge, haveMaxAge, expires = int64(0), false, int64(0)
	var domainAttr, pathAttr []byte
	for len(attrs) > 0 {
		var attr []byte
		attr, attrs = cut(attrs, ';')
		k, v, _ := bytes.Cut(attr, []byte("="))
		k, v = bytes.TrimSpace(k), bytes.TrimSpace(v)
		switch {
		case equalFold(k, "secure"):
			c.secure = true
		case equalFold(k, "domain"):
			domainAttr = bytes.TrimPrefix(v, []byte("."))
		case equalFold(k, "path"):
			if len(v) > 0 && v[0] == '/' {
				pathAttr = v
			}
		case equalFold(k, "max-age"):
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err == nil {
				maxAge, haveMaxAge = n, true
			}
		case equalFold(k, "expires"):
			if t, err := http.ParseTime(string(v)); err == nil {
				expires = t.UnixNano()
				if expires == 0 {
					expires = 1
				}
			}
		}
	}
	if len(domainAttr) > 0 {
		d := strings.ToLower(string(domainAttr))
		if !domainMatch(host, d) || (isIP(host) && !strings.EqualFold(host, d)) || !strings.Contains(d, ".") && !strings.EqualFold(host, d) {
			return // a domain the host does not belong to, or a bare suffix
		}
		c.domain, c.hostOnly = []byte(d), strings.EqualFold(host, d) && isIP(host)
	}
	if c.domain == nil {
		j.dom = lower(j.dom[:0], host)
		c.domain = j.dom
	}
	if pathAttr != nil {
		c.path = pathAttr
	} else {
		j.pth = append(j.pth[:0], defaultPath(u.Path)...)
		c.path = j.pth
	}
	now := j.now().UnixNano()
	switch {
	case haveMaxAge && maxAge <= 0:
		c.expires = -1
	case haveMaxAge:
		if maxAge > (1<<63-1-now)/int64(time.Second) {
			c.expires = 1<<63 - 1
		} else {
			c.expires = now + maxAge*int64(time.Second)
		}
	case expires != 0:
		c.expires = expires
	}
	i := j.find(name, c.domain, c.path)
	if c.expires != 0 && c.expires <= now {
		if i >= 0 {
			j.cookies = slices.Delete(j.cookies, i, i+1)
		}
		return
	}
	if i >= 0 {
		old := &j.cookies[i]
		old.value = append(old.value[:0], value...)
		old.hostOnly, old.secure, old.expires = c.hostOnly, c.secure, c.expires
		return
	}
	if len(j.cookies) >= MaxCookies {
		oldest := 0
		for k := range j.cookies {
			if j.cookies[k].created < j.cookies[oldest].created {
				oldest = k
			}
		}
		j.cookies = slices.Delete(j.cookies, oldest, oldest+1)
	}
	j.seq++
	c.created = j.seq
	c.name = append([]byte(nil), name...)
	c.value = append([]byte(nil), value...)
	c.domain = append([]byte(nil), c.domain...)
	c.path = append([]byte(nil), c.path...)
	j.cookies = append(j.cookies, c)
}

func (j *Jar) find(name, domain, path []byte) int {
	for i := range j.cookies {
		c := &j.cookies[i]
		if bytes.Equal(c.name, name) && bytes.Equal(c.domain, domain) && bytes.Equal(c.path, path) {
			return i
		}
	}
	return -1
}

// AppendHeader appends to dst the value of the Cookie header for a request
// to u: "a=1; b=2", longest paths first, then oldest first, as RFC 6265
// orders them. It appends nothing when no cookie applies.
func (j *Jar) AppendHeader(dst []byte, u URL) []byte {
	j.match(u)
	for k, i := range j.order {
		if k > 0 {
			dst = append(dst, "; "...)
		}
		c := &j.cookies[i]
		dst = append(dst, c.name...)
		dst = append(dst, '=')
		dst = append(dst, c.value...)
	}
	return dst
}

// Value returns the value of the cookie called name that a request to u
// would send; ok is false when none would.
func (j *Jar) Value(u URL, name string) (value []byte, ok bool) {
	j.match(u)
	for _, i := range j.order {
		if string(j.cookies[i].name) == name {
			return j.cookies[i].value, true
		}
	}
	return nil, false
}

// match drops expired cookies and fills j.order with the cookies for u, in
// sending order.
func (j *Jar) match(u URL) {
	j.order = j.order[:0]
	if len(j.cookies) == 0 {
		return
	}
	now := j.now().UnixNano()
	kept := j.cookies[:0]
	for _, c := range j.cookies {
		if c.expires == 0 || c.expires > now {
			kept = append(kept, c)
		}
	}
	clear(j.cookies[len(kept):])
	j.cookies = kept
	path := u.Path
	if path == "" {
		path = "/"
	}
	for i := range j.cookies {
		c := &j.cookies[i]
		if c.secure && !u.Secure {
			continue
		}
		if c.hostOnly {
			if !strings.EqualFold(u.Host, string(c.domain)) {
				continue
			}
		} else if !domainMatch(u.Host, string(c.domain)) {
			continue
		}
		if !pathMatch(path, c.path) {
			continue
		}
		j.order = append(j.order, i)
	}
	slices.SortFunc(j.order, func(a, b int) int {
		ca, cb := &j.cookies[a], &j.cookies[b]
		if d := len(cb.path) - len(ca.path); d != 0 {
			return d
		}
		if ca.created < cb.created {
			return -1
		}
		return 1
	})
}

// SetCookieName returns the name and value a Set-Cookie header value sets.
func SetCookieName(header []byte) (name, value []byte) {
	name, value, _ = splitPair(header)
	return name, value
}

// splitPair splits "name=value; attrs" into its parts, with the value's
// quotes removed.
func splitPair(h []byte) (name, value, attrs []byte) {
	pair, attrs := cut(h, ';')
	n, v, ok := bytes.Cut(pair, []byte("="))
	if !ok {
		return nil, nil, nil
	}
	n, v = bytes.TrimSpace(n), bytes.TrimSpace(v)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	return n, v, attrs
}

func cut(b []byte, sep byte) (before, after []byte) {
	if i := bytes.IndexByte(b, sep); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

func validName(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

func equalFold(b []byte, s string) bool {
	return len(b) == len(s) && strings.EqualFold(string(b), s)
}

func lower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// domainMatch is RFC 6265's domain-match: host is domain, or ends with
// "."+domain and is not an IP address.
func domainMatch(host, domain string) bool {
	if strings.EqualFold(host, domain) {
		return true
	}
	return len(host) > len(domain) && host[len(host)-len(domain)-1] == '.' &&
		strings.EqualFold(host[len(host)-len(domain):], domain) && !isIP(host)
}

func isIP(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}

// pathMatch is RFC 6265's path-match.
func pathMatch(reqPath string, cookiePath []byte) bool {
	cp := string(cookiePath)
	if reqPath == cp {
		return true
	}
	if strings.HasPrefix(reqPath, cp) {
		return strings.HasSuffix(cp, "/") || reqPath[len(cp)] == '/'
	}
	return false
}

// defaultPath is RFC 6265's default-path: the request path up to, not
// including, its last slash, or "/".
func defaultPath(p string) string {
	if p == "" || p[0] != '/' {
		return "/"
	}
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return "/"
	}
	return p[:i]
}
