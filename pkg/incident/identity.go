package incident

import "strings"

// Grafana logins are case-insensitive: Grafana finds "ALICE" and "alice" to be the same user. Every comparison of
// people here (requester and approver, the holders of incident roles, the lead) goes through SameLogin, and every
// key derived from a login through FoldLogin, so that no rule can be got round by spelling a login differently.

// SameLogin reports whether two logins name the same Grafana user. An empty login is nobody, not even itself.
func SameLogin(a, b string) bool {
	return a != "" && b != "" && strings.EqualFold(a, b)
}

// FoldLogin is the form of a login that two logins SameLogin agree on, for keys derived from a login.
func FoldLogin(login string) string {
	return strings.ToLower(strings.ToUpper(login))
}
