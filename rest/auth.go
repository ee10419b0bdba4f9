package rest

import (
	"bufio"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
)

// Auth is HTTP basic authentication as ksqlDB configures it
// (authentication.method=BASIC): users with passwords and roles from a
// Jetty-style property file (the file ksqlDB's JAAS PropertyFileLoginModule
// reads), and the roles allowed in (authentication.roles; "*" allows any
// authenticated user).
type Auth struct {
	Realm string
	// Roles are the roles admitted; empty or containing "*": any user.
	Roles []string
	users map[string]user
}

type user struct {
	password string // plain text, or "MD5:<hex>"
	roles    []string
}

// LoadAuth reads a users file: either Jetty's property format, one user
// per line, `name: password[,role ...]` (`#` comments; passwords plain or
// "MD5:" followed by the hex digest), or a JAAS configuration whose
// PropertyFileLoginModule entry names that file with file="...".
func LoadAuth(path string, roles []string) (*Auth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth file: %w", err)
	}
	text := string(b)
	if m := jaasFile.FindStringSubmatch(text); m != nil && strings.Contains(text, "LoginModule") {
		return LoadAuth(m[1], roles)
	}
	a := &Auth{Realm: "KsqlServer-Props", Roles: roles, users: map[string]user{}}
	sc := bufio.NewScanner(strings.NewReader(text))
	for line := 1; sc.Scan(); line++ {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "!") {
			continue
		}
		i := strings.IndexAny(l, ":=")
		if i <= 0 {
			return nil, fmt.Errorf("auth file %s:%d: expected `user: password[,role...]`", path, line)
		}
		name := strings.TrimSpace(l[:i])
		parts := strings.Split(l[i+1:], ",")
		u := user{password: strings.TrimSpace(parts[0])}
		for _, r := range parts[1:] {
			if r = strings.TrimSpace(r); r != "" {
				u.roles = append(u.roles, r)
			}
		}
		if p := u.password; strings.HasPrefix(p, "OBF:") || strings.HasPrefix(p, "CRYPT:") {
			return nil, fmt.Errorf("auth file %s:%d: user %s: OBF: and CRYPT: passwords are not supported; use plain or MD5:", path, line, name)
		}
		a.users[name] = u
	}
	if len(a.users) == 0 {
		return nil, fmt.Errorf("auth file %s: no users", path)
	}
	return a, nil
}

var jaasFile = regexp.MustCompile(`file\s*=\s*"([^"]+)"`)

// check says whether the credentials name a user (known) with the
// password, and whether one of the user's roles is admitted (allowed).
func (a *Auth) check(name, password string) (known, allowed bool) {
	u, ok := a.users[name]
	if !ok {
		return false, false
	}
	want := u.password
	got := password
	if strings.HasPrefix(want, "MD5:") {
		sum := md5.Sum([]byte(password))
		want, got = strings.ToLower(want[4:]), hex.EncodeToString(sum[:])
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return false, false
	}
	if len(a.Roles) == 0 {
		return true, true
	}
	for _, r := range a.Roles {
		if r == "*" {
			return true, true
		}
		for _, ur := range u.roles {
			if r == ur {
				return true, true
			}
		}
	}
	return true, false
}

// unauthenticatedPaths stay open with auth on, as ksqlDB's
// authentication.skip.paths defaults and its health checks.
var unauthenticatedPaths = map[string]bool{"/chc/ready": true, "/chc/live": true, "/healthcheck": true}

// authenticate refuses anonymous and wrong credentials with 401 and
// ksqlDB's body, and users without an admitted role with 403.
func (s *Server) authenticate(next http.Handler) http.Handler {
	a := s.opts.Auth
	if a == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if unauthenticatedPaths[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		name, pw, ok := r.BasicAuth()
		if !ok {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", a.Realm))
			writeError(w, http.StatusUnauthorized, codeUnauthorized, "Unauthorized")
			return
		}
		known, allowed := a.check(name, pw)
		switch {
		case !known:
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", a.Realm))
			writeError(w, http.StatusUnauthorized, codeUnauthorized, "Unauthorized")
		case !allowed:
			writeError(w, http.StatusForbidden, codeForbidden, "Forbidden")
		default:
			next.ServeHTTP(w, r)
		}
	})
}
