package incident

import (
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestSameLogin(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		same bool
	}{
		{"alice", "alice", true},
		{"ALICE", "alice", true},
		{"Alice", "aLiCe", true},
		{"alice@example.com", "Alice@Example.COM", true},
		{"straße", "STRASSE", false}, // Grafana compares with lower(): one rune is not two
		{"ǅemal", "ǆEMAL", true},
		{"alice", "alice ", false},
		{"alice", "alicia", false},
		{"", "", false}, // nobody is not anybody, not even nobody
		{"alice", "", false},
		{"", "alice", false},
	} {
		assert.Equal(t, tt.same, SameLogin(tt.a, tt.b), "%q %q", tt.a, tt.b)
		assert.Equal(t, tt.same, SameLogin(tt.b, tt.a), "%q %q", tt.b, tt.a)
		if tt.same {
			assert.Equal(t, FoldLogin(tt.a), FoldLogin(tt.b), "%q %q", tt.a, tt.b)
		}
	}
}

// FoldLogin agrees with SameLogin on every rune: all the runes strings.EqualFold takes for one fold to one form.
func TestFoldLoginAgreesWithEqualFold(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		want := FoldLogin(string(r))
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if got := FoldLogin(string(f)); got != want {
				t.Errorf("FoldLogin(%q) = %q, FoldLogin(%q) = %q; EqualFold takes them for one", f, got, r, want)
			}
		}
	}
}
