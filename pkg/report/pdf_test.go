package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/firebreak-dev/firebreak/pkg/incident"
	"github.com/firebreak-dev/firebreak/pkg/testenv"
)

func pdfToText(t testing.TB, pdf []byte) string { return testenv.PDFText(t, pdf) }

func pdfPages(t testing.TB, pdf []byte) int { return testenv.PDFPages(t, pdf) }

// goldenReport compares a report with its golden file; a PDF by its extracted text (name.txt), after checking
// that the same report gives the same bytes.
func goldenReport(t *testing.T, name string, got []byte) {
	t.Helper()
	if !strings.HasSuffix(name, ".pdf") {
		golden(t, name, got)
		return
	}
	golden(t, name+".txt", []byte(pdfToText(t, got)))
}

// flat joins a text's whitespace into single spaces, so a label wrapped over two lines is still found.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// The PDFs hold what the Markdown holds: the title, the incident on every page, every section heading, field label
// and column; the same report gives the same bytes.
func TestPDFHoldsTheDocument(t *testing.T) {
	for _, tt := range []struct {
		name  string
		doc   *Document
		write func(*bytes.Buffer) error
	}{
		{"audit", fixtureAudit(t).Document(), func(b *bytes.Buffer) error { return fixtureAudit(t).Write(b, PDF) }},
		{"eu-ai-act", fixtureEUAIAct(t, "follow_up", supportbot).Document(), func(b *bytes.Buffer) error {
			return fixtureEUAIAct(t, "follow_up", supportbot).Write(b, PDF)
		}},
		{"eu-ai-act without settings", fixtureEUAIAct(t, "initial", AISystemFacts{}).Document(), func(b *bytes.Buffer) error {
			return fixtureEUAIAct(t, "initial", AISystemFacts{}).Write(b, PDF)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var first, again bytes.Buffer
			require.NoError(t, tt.write(&first))
			require.NoError(t, tt.write(&again))
			assert.True(t, bytes.Equal(first.Bytes(), again.Bytes()), "the same report made twice gives other bytes")

			text := pdfToText(t, first.Bytes())
			pages := pdfPages(t, first.Bytes())
			assert.GreaterOrEqual(t, pages, 2)
			got := flat(text)
			assert.Contains(t, got, "Support bot invents a refund policy", "the incident's title")
			assert.Contains(t, got, flat(tt.doc.Title))
			assert.Equal(t, pages, strings.Count(text, tt.doc.Subject), "the incident's id and title on every page")
			for i := 1; i <= pages; i++ {
				assert.Contains(t, text, fmt.Sprintf("Page %d of %d", i, pages))
			}
			for _, l := range tt.doc.Lines {
				assert.Contains(t, got, flat(l))
			}
			for _, s := range tt.doc.Sections {
				assert.Contains(t, got, flat(s.Heading))
				for _, f := range s.Fields {
					assert.Contains(t, got, flat(f.Label), "field of %s", s.Heading)
					if f.ToFill {
						assert.Contains(t, got, flat(f.Hint), "hint of %s", f.Label)
					}
				}
				for _, tb := range s.Tables {
					assert.Contains(t, got, flat(tb.Caption))
					for _, c := range tb.Columns {
						for _, word := range strings.Fields(c) { // a narrow column's name wraps, between other columns
							if len(tb.Rows) > 0 {
								assert.Contains(t, got, word, "column %s of %s", c, tb.Caption)
							}
						}
					}
				}
			}
			if strings.HasPrefix(tt.name, "eu-ai-act") {
				r := fixtureEUAIAct(t, "initial", AISystemFacts{})
				for _, f := range r.fields() {
					assert.Contains(t, got, flat(f.label), "EU template field %s", f.path)
				}
			}
		})
	}
	// Every field marked to fill is marked in the PDF.
	r := fixtureEUAIAct(t, "initial", AISystemFacts{})
	var b bytes.Buffer
	require.NoError(t, r.Write(&b, PDF))
	assert.Equal(t, len(r.ToFill)+1, strings.Count(pdfToText(t, b.Bytes()), "[TO FILL]"), "one per field, and the line that explains them")
}

// Titles and notes in any script: what the Go fonts have shows; Chinese, which they lack, shows as boxes and is
// still extractable; characters beyond the Basic Multilingual Plane (emoji) and control characters become U+FFFD;
// none of it breaks the document.
func TestPDFAnyScript(t *testing.T) {
	for _, tt := range []struct {
		title, want string
	}{
		{"Σφάλμα μοντέλου: ψευδείς πολιτικές επιστροφών", "Σφάλμα μοντέλου: ψευδείς πολιτικές επιστροφών"},
		{"Бот поддержки выдумывает политику возврата", "Бот поддержки выдумывает политику возврата"},
		{"客服机器人编造退款政策", "客服机器人编造退款政策"},
		{"サポートボットが返金ポリシーを捏造", "サポートボットが返金ポリシーを捏造"},
		{"بوت الدعم يخترع سياسة الاسترداد", ""}, // right to left: poppler orders it its own way
		{"Refund bot 🤖 lies\x00\x07 about\tpolicy", "Refund bot \ufffd lies\ufffd\ufffd about policy"},
		{"bad utf-8 \xff\xfe here", "bad utf-8 \ufffd\ufffd here"},
		{"not the page count: " + pdfPageAlias + " {nb}", "not the page count: \ufffd {nb}"},
		{strings.Repeat("a", 5000), strings.Repeat("a", 200)},
	} {
		t.Run(tt.title[:min(len(tt.title), 20)], func(t *testing.T) {
			a := fixtureAudit(t)
			a.Incident.Title = tt.title
			a.Incident.Description = tt.title + "\n" + tt.title
			var b bytes.Buffer
			require.NoError(t, a.Write(&b, PDF))
			text := pdfToText(t, b.Bytes())
			require.GreaterOrEqual(t, pdfPages(t, b.Bytes()), 2)
			if tt.want != "" {
				assert.Contains(t, flat(strings.ReplaceAll(text, "\n", "")), flat(tt.want))
			}
		})
	}
}

// A timeline of 1,001 events continues page after page, its header at the top of each; an event longer than a
// page continues on the next.
func TestPDFLongTimelinePaginates(t *testing.T) {
	a := bigAudit(t, 500)
	long := strings.Repeat("word ", 3000) + "END-OF-THE-LONG-NOTE"
	e, err := a.Incident.Append(incident.KindNote, t0, t0, "alice", long, incident.NoteBody{Text: long})
	require.NoError(t, err)
	a.Timeline = append(a.Timeline, e)
	a.TimelineTotal = len(a.Timeline)
	var b bytes.Buffer
	start := time.Now()
	require.NoError(t, a.Write(&b, PDF))
	t.Logf("%d events: %d pages, %d bytes in %s", len(a.Timeline), pdfPages(t, b.Bytes()), b.Len(), time.Since(start))
	pages := pdfPages(t, b.Bytes())
	require.Greater(t, pages, 20)
	text := pdfToText(t, b.Bytes())
	pageTexts := strings.Split(text, "\f")
	require.Len(t, pageTexts, pages+1) // a form feed ends each page
	timelinePages := 0
	for i, p := range pageTexts[:pages] {
		assert.Contains(t, p, "Incident 6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b: Inference pods crash-looping", "page %d", i+1)
		assert.Contains(t, p, fmt.Sprintf("Page %d of %d", i+1, pages))
		if strings.Contains(p, "PodCrashLooping") && strings.Contains(p, "Recorded") {
			timelinePages++
		}
	}
	assert.Greater(t, timelinePages, pages/2, "the timeline's header on each of its pages")
	got := flat(text)
	for _, seq := range []string{"1", "500", "1001", "1002"} {
		assert.Regexp(t, `(^| )`+seq+` 2026-11-03T09:14:00Z`, got, "event %s", seq)
	}
	assert.Equal(t, 500, strings.Count(got, "Alert PodCrashLooping firing"), "every alert event")
	assert.Equal(t, 500, strings.Count(got, "Alert PodCrashLooping resolved"), "every alert event")
	assert.Contains(t, got, "END-OF-THE-LONG-NOTE", "the event longer than a page, to its end")
	assert.Equal(t, 3000, strings.Count(got, "word"), "every word of it")
}

func TestWrap(t *testing.T) {
	size := 10.0
	em := 10 * mmPerPt // the width of 1,000 units at 10 pt
	text := func(ls []line) []string {
		var out []string
		for _, l := range ls {
			var b strings.Builder
			for _, s := range l {
				b.WriteString(s.text)
			}
			out = append(out, b.String())
		}
		return out
	}
	w := func(s string) float64 { return textWidth(s, regular, size) }
	for _, tt := range []struct {
		name  string
		spans []span
		width float64
		want  []string
	}{
		{"fits", []span{{regular, black, "two words"}}, 100, []string{"two words"}},
		{"empty", []span{{regular, black, ""}}, 100, []string{""}},
		{"at spaces", []span{{regular, black, "one two three"}}, w("one two") + 0.01, []string{"one two", "three"}},
		{"spaces at a break are dropped", []span{{regular, black, "one    two"}}, w("one") + 0.01, []string{"one", "two"}},
		{"line breaks", []span{{regular, black, "a\nb\r\n\nc\n"}}, 100, []string{"a", "b", "", "c"}},
		{"a word longer than a line", []span{{mono, black, "0123456789abcdef"}}, textWidth("01234", mono, size) + 0.01, []string{"01234", "56789", "abcde", "f"}},
		{"after a short word", []span{{mono, black, "ab 0123456789"}}, textWidth("01234", mono, size) + 0.01, []string{"ab", "01234", "56789"}},
		{"spans keep their spaces", []span{{regular, black, "value "}, {bold, toFillInk, "[TO FILL] "}, {italic, grey, "hint"}}, 100, []string{"value [TO FILL] hint"}},
		{"a narrower line than a character", []span{{regular, black, "abc"}}, 0.1, []string{"a", "b", "c"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := wrap(para{size, tt.spans}, tt.width)
			assert.Equal(t, tt.want, text(got))
			for _, l := range got {
				lw := 0.0
				for _, s := range l {
					lw += textWidth(s.text, s.face, size)
				}
				if len([]rune(text([]line{l})[0])) > 1 {
					assert.LessOrEqual(t, lw, tt.width+1e-9, "line %q", text([]line{l}))
				}
			}
		})
	}
	// The missing width of a character the font lacks counts: Chinese, without spaces, wraps between characters.
	zh := "客服机器人编造退款政策"
	assert.Greater(t, w(zh), 10*em/2)
	lines := text(wrap(para{size, []span{{regular, black, zh}}}, w(zh)/3))
	assert.Len(t, lines, 4)
	assert.Equal(t, zh, strings.Join(lines, ""))
}

func TestColumnWidths(t *testing.T) {
	for _, tt := range []struct {
		name         string
		widest, word []float64
		width        float64
		want         []float64
	}{
		{"all fit: stretched in proportion", []float64{10, 30}, []float64{5, 10}, 80, []float64{20, 60}},
		{"words fit: the rest to what each lacks", []float64{10, 110}, []float64{10, 20}, 100, []float64{10, 90}},
		{"a word longer than the share is cut to it", []float64{10, 200}, []float64{10, 200}, 100, []float64{10, 90}},
		{"words do not fit: the longest are cut, short ones kept", []float64{8, 40, 40, 40}, []float64{8, 30, 30, 30}, 80, []float64{8, 24, 24, 24}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := columnWidths(tt.widest, tt.word, tt.width)
			assert.InDeltaSlice(t, tt.want, got, 1e-9)
			sum := 0.0
			for _, w := range got {
				sum += w
			}
			assert.InDelta(t, tt.width, sum, 1e-9)
		})
	}
}

func TestPDFText(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                     "plain",
		"Ελληνικά 中文":               "Ελληνικά 中文",
		"a\r\nb\rc\td":              "a\nb\nc d",
		"nul\x00 bell\x07 c1\u0085": "nul\ufffd bell\ufffd c1\ufffd",
		"emoji 🤖 and 𝔘":             "emoji \ufffd and \ufffd",
		"bad \xc3":                  "bad \ufffd",
		"alias " + pdfPageAlias:     "alias \ufffd",
	} {
		assert.Equal(t, want, pdfText(in), "%q", in)
	}
}

// A PDF has at most MaxPDFPages pages: a longer document is an *ErrPDFTooLong with nothing written, found as the
// page past the budget would start. The reference large incident, 10,000 alert episodes (20,001 events), fits.
func TestPDFPageBudget(t *testing.T) {
	a := bigAudit(t, 500)
	var b bytes.Buffer
	require.NoError(t, a.Write(&b, PDF))
	pages := pdfPages(t, b.Bytes())

	MaxPDFPages = pages - 1
	t.Cleanup(func() { MaxPDFPages = 1000 })
	var out bytes.Buffer
	err := a.Write(&out, PDF)
	var tooLong *ErrPDFTooLong
	require.ErrorAs(t, err, &tooLong)
	assert.Equal(t, pages-1, tooLong.Pages)
	assert.Zero(t, out.Len(), "nothing written")
	MaxPDFPages = pages
	require.NoError(t, a.Write(&out, PDF), "exactly the budget")
	MaxPDFPages = 1000

	out.Reset()
	require.NoError(t, bigAudit(t, 10000).Write(&out, PDF), "the 10,000-alert incident fits in %d pages", MaxPDFPages)
	assert.LessOrEqual(t, pdfPages(t, out.Bytes()), MaxPDFPages)
}
