package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"", "json", "JSON", "markdown", "md", " html ", "pdf", "docx", "<x>", "\x00", strings.Repeat("a", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFormat(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "format: ") || len(err.Error()) > 300 {
				t.Fatalf("error %q does not name the field briefly", err)
			}
			return
		}
		if !slices.Contains(Formats, got) {
			t.Fatalf("ParseFormat(%q) = %q", s, got)
		}
	})
}

// Whatever a person or an alert wrote, a field stays one line of Markdown and a table cell stays one cell: no line
// breaks, no unescaped pipe, no raw HTML.
func FuzzMarkdownText(f *testing.F) {
	for _, s := range []string{"plain", "a | b", "line\nbreak\r\n", "<script>alert(1)</script>", "**bold** _it_ `code` [l](u)", `\|`, "# h", "&amp;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		var b bytes.Buffer
		d := &Document{Title: "t", Sections: []Section{{Heading: "h", Fields: []Field{{Label: "l", Value: s}},
			Tables: []Table{{Columns: []string{"c1", "c2"}, Rows: [][]string{{s, "x"}}}}}}}
		if err := WriteMarkdown(&b, d); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if n := len(lines); n != 10 {
			t.Fatalf("%q made %d lines, want 10:\n%s", s, n, b.String())
		}
		row := lines[len(lines)-1]
		if cells := strings.Count(row, "|") - strings.Count(row, `\|`); cells != 3 {
			t.Fatalf("%q: the row %q has %d unescaped pipes, want 3", s, row, cells)
		}
		if strings.ContainsAny(mdInline(s), "<>") {
			t.Fatalf("%q: raw < or > in %q", s, mdInline(s))
		}
	})
}

// Whatever a person or an alert wrote, in a title, a field, a table cell or a hash column, the PDF is written
// whole, and wrapping loses no character of it.
func FuzzPDF(f *testing.F) {
	for _, s := range []string{"plain", "Σφάλμα Бот 客服机器人", "emoji 🤖\x00\x07\r\n\t", "\xff\xfe", pdfPageAlias + "{nb}",
		strings.Repeat("0123456789abcdef", 40), strings.Repeat("word ", 200), "\n\n\n", " ", "بوت الدعم"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 20000 {
			return
		}
		d := &Document{Title: s, Subject: s, Lines: []string{s}, Sections: []Section{{Heading: s, Text: []string{s},
			Fields: []Field{{Label: s, Value: s}, {Label: "l", Value: s, ToFill: true, Hint: s}, {Label: "m", Value: s, Mono: true, Source: s}},
			Tables: []Table{{Caption: s, Columns: []string{s, "c2", "hash"}, Mono: []string{"hash"}, Rows: [][]string{{s, "x", s}, {"short"}}}}}}}
		var b bytes.Buffer
		if err := WritePDF(&b, d); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-1.")) || !bytes.HasSuffix(bytes.TrimSpace(b.Bytes()), []byte("%%EOF")) {
			t.Fatalf("not a whole PDF: %.40q ... %q", b.Bytes(), b.Bytes()[max(0, b.Len()-20):])
		}
		for _, width := range []float64{0.5, 20, 180} {
			var got strings.Builder
			for _, l := range wrap(para{9, []span{{regular, black, s}}}, width) {
				for _, sp := range l {
					got.WriteString(sp.text)
				}
			}
			if want := strings.Join(strings.Fields(pdfText(s)), ""); strings.Join(strings.Fields(got.String()), "") != want {
				t.Fatalf("wrapping %q at %v mm gave %q", s, width, got.String())
			}
		}
	})
}
