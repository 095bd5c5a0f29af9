package portal

import "testing"

// TestSafeNext: the sign-in redirect target is a path of this site or "/" ("/\t/evil" was
// let through, and browsers drop the tab and go to //evil).
func TestSafeNext(t *testing.T) {
	for _, tc := range []struct{ name, next, want string }{
		{"tab after the slash (the finding)", "/\t/evil", "/"},
		{"percent-encoded tab, still encoded", "/%09/evil", "/"},
		{"newline", "/\n/evil", "/"},
		{"carriage return", "/\r/evil", "/"},
		{"NUL", "/\x00/evil", "/"},
		{"DEL", "/\x7f/evil", "/"},
		{"C1 control", "/\u0085/evil", "/"},
		{"control later in the path", "/orders\t", "/"},
		{"protocol-relative", "//evil.example/", "/"},
		{"backslash", "/\\evil.example/", "/"},
		{"encoded slash", "/%2Fevil.example/", "/"},
		{"encoded backslash", "/%5Cevil.example/", "/"},
		{"absolute URL", "https://evil.example/", "/"},
		{"scheme", "javascript:alert(1)", "/"},
		{"relative", "evil", "/"},
		{"empty", "", "/"},
		{"space before the slash", " /orders", "/"},
		{"bad escape", "/orders%zz", "/"},
		{"the login page", "/login?next=/", "/"},
		{"the login page, encoded", "/%6cogin", "/"},
		{"root", "/", "/"},
		{"a page", "/orders", "/orders"},
		{"a page with a query", "/orders?q=%E4%BA%91&page=2", "/orders?q=%E4%BA%91&page=2"},
		{"a Chinese path", "/部门/D01", "/部门/D01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := safeNext(tc.next); got != tc.want {
				t.Errorf("safeNext(%q) = %q, want %q", tc.next, got, tc.want)
			}
		})
	}
}
