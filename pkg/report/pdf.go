package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
)

// The PDF is laid out here, line by line, rather than with fpdf's MultiCell: its wrapping counts a character the
// font lacks as zero wide, and a table row must be able to continue on the next page under the table's header.

// A4 in millimetres, the margins, and the points in a millimetre.
const (
	pageW, pageH   = 210.0, 297.0
	marginX        = 15.0
	marginTop      = 19.0 // below the running header
	marginBottom   = 17.0 // above the footer
	contentW       = pageW - 2*marginX
	mmPerPt        = 25.4 / 72
	pdfPageAlias   = "\ue000\ue001" // replaced by the page count when the PDF is written; never in a text (pdfText)
	leading        = 1.3            // line height over font size
	cellPad        = 1.0            // inside table cells and field values
	maxColumnShare = 0.3            // no column's minimum width is more than this share of the page: a longer word wraps
)

// face is a font face of the PDF: the Go fonts (BSD licence), embedded as subsets with their Unicode map, so any
// text the fonts cover is extractable and shows; a character they lack shows as a box and is still extractable.
type face int

const (
	regular face = iota
	bold
	italic
	mono
	faceCount
)

var faces = [faceCount]struct {
	family, style string
	ttf           []byte
}{
	regular: {"go", "", goregular.TTF},
	bold:    {"go", "B", gobold.TTF},
	italic:  {"go", "I", goitalic.TTF},
	mono:    {"gomono", "", gomono.TTF},
}

// glyphWidths are the advance widths of every character of the Basic Multilingual Plane in each face, in 1/1000 of
// the font size, as fpdf counts them (a character a font lacks: its missing width). Measured once.
var glyphWidths = sync.OnceValue(func() *[faceCount][0x10000]uint16 {
	var w [faceCount][0x10000]uint16
	p := fpdf.New("P", "mm", "A4", "")
	for fc, f := range faces {
		p.AddUTF8FontFromBytes(f.family, f.style, slices.Clone(f.ttf))
		p.SetFont(f.family, f.style, 10)
		var buf [utf8.UTFMax]byte
		for r := range rune(0x10000) {
			if r >= 0xd800 && r < 0xe000 {
				continue // surrogates: never in a Go string
			}
			n := utf8.EncodeRune(buf[:], r)
			w[fc][r] = uint16(p.GetStringSymbolWidth(string(buf[:n])))
		}
	}
	if err := p.Error(); err != nil {
		panic(fmt.Sprintf("report: measuring the Go fonts: %v", err))
	}
	return &w
})

// rgb is a colour.
type rgb [3]int

var (
	black     = rgb{17, 17, 17}
	grey      = rgb{85, 85, 85}
	toFillInk = rgb{138, 90, 0}
	toFillBg  = rgb{255, 243, 191}
	headerBg  = rgb{235, 235, 235}
	ruleInk   = rgb{150, 150, 150}
)

// span is text in one face and colour; a line is the spans that fit on one line.
type span struct {
	face  face
	color rgb
	text  string
}

type line []span

// para is a paragraph: spans at one size.
type para struct {
	size  float64 // points
	spans []span
}

func (p para) lineHeight() float64 { return p.size * leading * mmPerPt }

// textWidth is the width of s in millimetres.
func textWidth(s string, fc face, size float64) float64 {
	w := glyphWidths()
	n := 0
	for _, r := range s {
		if r < 0x10000 {
			n += int(w[fc][r])
		}
	}
	return float64(n) * size / 1000 * mmPerPt
}

// pdfText makes text safe for the fonts: line breaks as \n, tabs as spaces, other control characters and
// characters beyond the Basic Multilingual Plane (which fpdf's fonts cannot encode) as U+FFFD.
func pdfText(s string) string {
	clean := true
	for _, r := range s {
		if r < 0x20 && r != '\n' || r >= 0x7f && r < 0xa0 || r > 0xffff || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean && !strings.Contains(s, pdfPageAlias) {
		return s
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), pdfPageAlias, "\ufffd")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteByte('\n')
		case r == '\r':
			b.WriteByte('\n')
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r >= 0x7f && r < 0xa0 || r > 0xffff:
			b.WriteRune(unicode.ReplacementChar)
		default:
			b.WriteRune(r) // an invalid byte came out of range as U+FFFD already
		}
	}
	return b.String()
}

// wrap breaks a paragraph into lines at most width millimetres wide: at spaces, at \n, and inside a word longer
// than a line (a hash, a text without spaces such as Chinese) where it overflows.
func wrap(p para, width float64) []line {
	w := glyphWidths()
	limit := width/mmPerPt*1000/p.size + 1e-6 // in 1/1000 of the font size; a column as wide as its word holds it
	var (
		lines   []line
		cur     line
		curW    float64
		pending []span // spaces after the last word, kept only if a word follows on the line
		pendW   float64
	)
	add := func(s span) {
		if n := len(cur); n > 0 && cur[n-1].face == s.face && cur[n-1].color == s.color {
			cur[n-1].text += s.text
			return
		}
		cur = append(cur, s)
	}
	flush := func() {
		lines = append(lines, cur)
		cur, curW, pending, pendW = nil, 0, nil, 0
	}
	for _, s := range p.spans {
		text := pdfText(s.text)
		for text != "" {
			switch r, size := utf8.DecodeRuneInString(text); {
			case r == '\n':
				flush()
				text = text[size:]
				continue
			case r == ' ':
				if len(cur) > 0 {
					pending = append(pending, span{s.face, s.color, " "})
					pendW += float64(w[s.face][' '])
				}
				text = text[size:]
				continue
			}
			end := strings.IndexAny(text, " \n")
			if end < 0 {
				end = len(text)
			}
			word := text[:end]
			text = text[end:]
			ww := 0.0
			for _, r := range word {
				ww += float64(w[s.face][r])
			}
			if len(cur) > 0 && curW+pendW+ww > limit {
				flush()
			}
			for _, sp := range pending {
				add(sp)
			}
			curW, pending, pendW = curW+pendW, nil, 0
			if curW+ww <= limit {
				add(span{s.face, s.color, word})
				curW += ww
				continue
			}
			// Longer than a line: as many characters as fit on each line, at least one.
			start, pw := 0, curW
			for i, r := range word {
				cw := float64(w[s.face][r])
				if pw+cw > limit && (i > start || len(cur) > 0) {
					if i > start {
						add(span{s.face, s.color, word[start:i]})
					}
					flush()
					start, pw = i, 0
				}
				pw += cw
			}
			add(span{s.face, s.color, word[start:]})
			curW = pw
		}
	}
	if len(cur) > 0 || len(lines) == 0 {
		lines = append(lines, cur)
	}
	return lines
}

// columnWidths shares width among columns: each gets its widest line when they all fit; else each gets its
// longest word (at most maxColumnShare of the width) and the rest is shared in proportion to what each lacks of its
// widest line; when even the words do not fit, the longest words are cut to one length so that they do, and the
// short columns (a number, a yes or no) keep theirs.
func columnWidths(widest, longestWord []float64, width float64) []float64 {
	n := len(widest)
	out := make([]float64, n)
	minW := make([]float64, n)
	var sumMax, sumMin float64
	for i := range n {
		minW[i] = min(longestWord[i], width*maxColumnShare)
		widest[i] = max(widest[i], minW[i])
		sumMax += widest[i]
		sumMin += minW[i]
	}
	switch {
	case sumMax <= width:
		for i := range n {
			out[i] = widest[i] + (width-sumMax)*widest[i]/sumMax
		}
	case sumMin <= width:
		for i := range n {
			out[i] = minW[i] + (width-sumMin)*(widest[i]-minW[i])/(sumMax-sumMin)
		}
	default:
		c := waterLevel(minW, width)
		for i := range n {
			out[i] = min(minW[i], c)
		}
	}
	return out
}

// waterLevel is the c at which the sum of min(w, c) over ws is total (less than the sum of ws).
func waterLevel(ws []float64, total float64) float64 {
	sorted := slices.Clone(ws)
	slices.Sort(sorted)
	below := 0.0 // the sum of the widths under the level
	for i, w := range sorted {
		rest := float64(len(sorted) - i)
		if below+w*rest >= total {
			return (total - below) / rest
		}
		below += w
	}
	return sorted[len(sorted)-1]
}

// measure returns the width of the widest line of text and of its longest word, in millimetres.
func measure(text string, fc face, size float64) (widest, longestWord float64) {
	w := glyphWidths()
	var lineW, wordW int
	for _, r := range pdfText(text) {
		switch {
		case r == '\n':
			lineW, wordW = 0, 0
			continue
		case r == ' ':
			wordW = 0
			lineW += int(w[fc][r])
		default:
			wordW += int(w[fc][r])
			lineW += int(w[fc][r])
		}
		widest, longestWord = max(widest, float64(lineW)), max(longestWord, float64(wordW))
	}
	k := size / 1000 * mmPerPt
	return widest * k, longestWord * k
}

// box is lines in a rectangle: one field's label or value, one table cell.
type box struct {
	lines   []line
	heights []float64
	size    []float64
	fill    *rgb
}

func (c *box) add(p para, width float64) {
	for _, l := range wrap(p, width) {
		c.lines = append(c.lines, l)
		c.heights = append(c.heights, p.lineHeight())
		c.size = append(c.size, p.size)
	}
}

func (c *box) height(from int) float64 {
	h := 0.0
	for _, x := range c.heights[from:] {
		h += x
	}
	return h
}

// pdfDoc draws a Document page by page.
type pdfDoc struct {
	f      *fpdf.Fpdf
	d      *Document
	top    float64 // where the content of this page starts (below a repeated table header)
	repeat func()  // draws the header of the table being drawn on a new page
}

// MaxPDFPages bounds a PDF: fpdf holds every page in memory until the end, about 190 KB of heap per page of a
// timeline (BENCHMARKS.md, "Report formats"), so 1,000 pages peak near 200 MB. The 10,000-alert incident's 20,001
// events take 954. A variable for the tests.
var MaxPDFPages = 1000

// ErrPDFTooLong says a document does not fit in MaxPDFPages pages; nothing was written.
type ErrPDFTooLong struct{ Pages int }

func (e *ErrPDFTooLong) Error() string {
	return fmt.Sprintf("the PDF would have more than %d pages", e.Pages)
}

// WritePDF writes the document as an A4 PDF: the subject (incident and title) at the top of every page, the
// document's title and page numbers in the footer, fields as labelled rows, tables that continue on the next page
// under their header, hashes in a fixed-width font. The same document gives the same bytes: the creation date is
// the document's own time. Nothing is written unless the whole PDF is: fpdf builds it in memory. A document of more
// than MaxPDFPages pages is an *ErrPDFTooLong.
func WritePDF(w io.Writer, d *Document) (err error) {
	defer func() { // fpdf panics on what it does not expect (it indexes tables by character): an error, not a crash
		switch r := recover().(type) {
		case nil:
		case *ErrPDFTooLong:
			err = r
		default:
			err = fmt.Errorf("writing the PDF: %v", r)
		}
	}()
	f := fpdf.New("P", "mm", "A4", "")
	p := &pdfDoc{f: f, d: d}
	f.AliasNbPages(pdfPageAlias) // before the fonts: it changes the subset they start from
	for _, fc := range faces {
		// A copy: fpdf writes into the bytes it is given while it cuts the subset (fileReader.Read returns a
		// slice of them that getMetrics appends to), which would change the Go fonts for every later document.
		f.AddUTF8FontFromBytes(fc.family, fc.style, slices.Clone(fc.ttf))
	}
	at := d.At.UTC()
	if at.IsZero() {
		at = time.Unix(0, 0).UTC()
	}
	f.SetCreationDate(at)
	f.SetModificationDate(at)
	f.SetCatalogSort(true)
	f.SetTitle(pdfText(d.Title), true)
	f.SetSubject(pdfText(d.Subject), true)
	f.SetCreator("Firebreak", false)
	f.SetLang("en")
	f.SetMargins(marginX, marginTop, marginX)
	f.SetAutoPageBreak(false, marginBottom)
	f.SetCellMargin(0)
	f.SetLineWidth(0.2)
	f.SetHeaderFuncMode(p.pageHeader, false)
	f.SetFooterFunc(p.pageFooter)
	p.newPage()

	p.paragraph(para{15, []span{{bold, black, d.Title}}}, 0)
	p.gap(1)
	for _, l := range d.Lines {
		p.paragraph(para{8.5, []span{{regular, grey, l}}}, 0)
	}
	for _, s := range d.Sections {
		p.section(&s)
	}
	if err := f.Error(); err != nil {
		return fmt.Errorf("writing the PDF: %w", err)
	}
	if err := f.Output(w); err != nil {
		return fmt.Errorf("writing the PDF: %w", err)
	}
	return nil
}

// setFont sets the font unless it is set: fpdf writes every SetFont into the page.
func (p *pdfDoc) setFont(fc face, size float64) {
	if pt, _ := p.f.GetFontSize(); pt == size && p.f.GetFontFamily() == faces[fc].family && p.f.GetFontStyle() == faces[fc].style {
		return
	}
	p.f.SetFont(faces[fc].family, faces[fc].style, size)
}

func (p *pdfDoc) bottom() float64 { return pageH - marginBottom }

func (p *pdfDoc) newPage() {
	if p.f.PageNo() >= MaxPDFPages {
		panic(&ErrPDFTooLong{Pages: MaxPDFPages}) // stops the layout at once; WritePDF returns it
	}
	p.f.AddPage()
	p.f.SetY(marginTop)
	p.top = marginTop
	if p.repeat != nil {
		p.repeat()
	}
	p.top = p.f.GetY()
}

// ensure starts a new page unless h millimetres fit on this one.
func (p *pdfDoc) ensure(h float64) {
	if p.f.GetY()+h > p.bottom() && p.f.GetY() > p.top {
		p.newPage()
	}
}

func (p *pdfDoc) gap(h float64) { p.f.SetY(p.f.GetY() + h) }

// pageHeader writes the subject (the incident) at the top of the page.
func (p *pdfDoc) pageHeader() {
	if p.d.Subject == "" {
		return
	}
	p.setFont(regular, 7.5)
	p.textLine(line{{regular, grey, fit(p.d.Subject, regular, 7.5, contentW)}}, marginX, 9, 7.5)
	p.f.SetDrawColor(ruleInk[0], ruleInk[1], ruleInk[2])
	p.f.Line(marginX, 13, pageW-marginX, 13)
}

// pageFooter writes the title and "Page n of N".
func (p *pdfDoc) pageFooter() {
	n := "Page " + strconv.Itoa(p.f.PageNo()) + " of "
	// The count is written when the PDF is; its width is taken as this page number's, exact on the last page.
	nw := textWidth(n+strconv.Itoa(p.f.PageNo()), regular, 7.5)
	p.f.SetDrawColor(ruleInk[0], ruleInk[1], ruleInk[2])
	p.f.Line(marginX, pageH-13, pageW-marginX, pageH-13)
	p.textLine(line{{regular, grey, fit(p.d.Title, regular, 7.5, contentW-nw-5)}}, marginX, pageH-12, 7.5)
	p.textLine(line{{regular, grey, n + pdfPageAlias}}, pageW-marginX-nw, pageH-12, 7.5)
}

// fit shortens text to one line of at most width, ending it with "…" when cut.
func fit(text string, fc face, size, width float64) string {
	text = strings.Join(strings.Fields(pdfText(text)), " ")
	if textWidth(text, fc, size) <= width {
		return text
	}
	limit := width - textWidth("…", fc, size)
	w := 0.0
	for i, r := range text {
		w += textWidth(string(r), fc, size)
		if w > limit {
			return text[:i] + "…"
		}
	}
	return text
}

// textLine draws a line whose box starts at y.
func (p *pdfDoc) textLine(l line, x, y, size float64) {
	base := y + size*mmPerPt*(leading+0.8)/2 // the baseline in a box of the line's height
	for _, s := range l {
		if s.text == "" {
			continue
		}
		p.setFont(s.face, size)
		if r, g, b := p.f.GetTextColor(); r != s.color[0] || g != s.color[1] || b != s.color[2] {
			p.f.SetTextColor(s.color[0], s.color[1], s.color[2])
		}
		p.f.Text(x, base, s.text)
		x += textWidth(s.text, s.face, size)
	}
}

// paragraph draws a paragraph across the width, indented by indent.
func (p *pdfDoc) paragraph(pa para, indent float64) {
	var c box
	c.add(pa, contentW-indent)
	p.row([]float64{marginX + indent}, []float64{contentW - indent}, []*box{&c}, 0, false)
}

func (p *pdfDoc) section(s *Section) {
	p.gap(3)
	p.ensure(25) // a heading stays with what follows it
	p.paragraph(para{12, []span{{bold, black, s.Heading}}}, 0)
	p.f.SetDrawColor(ruleInk[0], ruleInk[1], ruleInk[2])
	p.f.Line(marginX, p.f.GetY()+0.3, pageW-marginX, p.f.GetY()+0.3)
	p.gap(1.5)
	for _, t := range s.Text {
		p.paragraph(para{9.5, []span{{regular, black, t}}}, 0)
		p.gap(1)
	}
	const labelW = 52.0
	for _, fl := range s.Fields {
		label, value := &box{}, &box{}
		label.add(para{9, []span{{bold, black, fl.Label}}}, labelW-2*cellPad)
		vf := regular
		if fl.Mono {
			vf = mono
		}
		var spans []span
		switch {
		case fl.ToFill:
			if fl.Value != "" {
				spans = append(spans, span{vf, black, fl.Value + " "})
			}
			spans = append(spans, span{bold, toFillInk, "[TO FILL] "}, span{italic, grey, fl.Hint})
			value.fill = &toFillBg
		case fl.Source != "":
			spans = []span{{vf, black, fl.Value}, {italic, grey, " (from " + fl.Source + ")"}}
		default:
			spans = []span{{vf, black, fl.Value}}
		}
		value.add(para{9, spans}, contentW-labelW-2*cellPad)
		p.row([]float64{marginX, marginX + labelW}, []float64{labelW, contentW - labelW}, []*box{label, value}, cellPad, false)
		p.gap(0.6)
	}
	for _, t := range s.Tables {
		p.gap(2)
		p.table(t)
	}
}

// table draws a table; its header is drawn again at the top of each page it continues on.
func (p *pdfDoc) table(t Table) {
	const size = 7
	isMono := map[int]bool{}
	for i, c := range t.Columns {
		for _, m := range t.Mono {
			isMono[i] = isMono[i] || m == c
		}
	}
	faceOf := func(i int) face {
		if isMono[i] {
			return mono
		}
		return regular
	}
	if t.Caption != "" {
		p.ensure(12)
		p.paragraph(para{9, []span{{bold, black, t.Caption}}}, 0)
		p.gap(0.5)
	}
	if len(t.Rows) == 0 {
		p.paragraph(para{9, []span{{italic, grey, "None."}}}, 0)
		return
	}
	widest := make([]float64, len(t.Columns))
	longest := make([]float64, len(t.Columns))
	for i, c := range t.Columns {
		widest[i], longest[i] = measure(c, bold, size)
	}
	for _, r := range t.Rows {
		for i := range min(len(r), len(t.Columns)) {
			wd, lw := measure(r[i], faceOf(i), size)
			widest[i], longest[i] = max(widest[i], wd), max(longest[i], lw)
		}
	}
	for i := range widest {
		widest[i] += 2 * cellPad
		longest[i] += 2 * cellPad
	}
	widths := columnWidths(widest, longest, contentW)
	xs := make([]float64, len(widths))
	x := marginX
	for i, w := range widths {
		xs[i], x = x, x+w
	}
	header := func() {
		cells := make([]*box, len(t.Columns))
		for i, c := range t.Columns {
			cells[i] = &box{fill: &headerBg}
			cells[i].add(para{size, []span{{bold, black, c}}}, widths[i]-2*cellPad)
		}
		p.row(xs, widths, cells, cellPad, true)
	}
	p.ensure(20)
	header()
	p.repeat = header
	defer func() { p.repeat = nil }()
	for _, r := range t.Rows {
		cells := make([]*box, len(t.Columns))
		for i := range t.Columns {
			cells[i] = &box{}
			v := ""
			if i < len(r) {
				v = r[i]
			}
			cells[i].add(para{size, []span{{faceOf(i), black, v}}}, widths[i]-2*cellPad)
		}
		p.row(xs, widths, cells, cellPad, true)
	}
}

// row draws cells side by side from the current position. A row that does not fit on the rest of the page starts
// a new one; a row taller than a page continues on the next, each cell where it stopped.
func (p *pdfDoc) row(xs, widths []float64, cells []*box, pad float64, border bool) {
	from := make([]int, len(cells))
	for {
		y := p.f.GetY()
		avail := p.bottom() - y - 2*pad
		need := 0.0
		for i, c := range cells {
			need = max(need, c.height(from[i]))
		}
		if need > avail && y > p.top && need <= p.bottom()-p.top-2*pad {
			p.newPage()
			continue
		}
		done := true
		drawn := make([]int, len(cells))
		segH := 0.0
		for i, c := range cells {
			h := 0.0
			to := from[i]
			for to < len(c.lines) && (h+c.heights[to] <= avail || to == from[i] && y == p.top) {
				h += c.heights[to]
				to++
			}
			drawn[i] = to
			segH = max(segH, h)
			done = done && to == len(c.lines)
		}
		if segH == 0 && y > p.top {
			p.newPage() // not even a line fits
			continue
		}
		segH += 2 * pad
		for i, c := range cells {
			style := ""
			if c.fill != nil {
				p.f.SetFillColor(c.fill[0], c.fill[1], c.fill[2])
				style = "F"
			}
			if border {
				p.f.SetDrawColor(187, 187, 187)
				style += "D"
			}
			if style != "" {
				p.f.Rect(xs[i], y, widths[i], segH, style)
			}
			ly := y + pad
			for j := from[i]; j < drawn[i]; j++ {
				p.textLine(c.lines[j], xs[i]+pad, ly, c.size[j])
				ly += c.heights[j]
			}
			from[i] = drawn[i]
		}
		p.f.SetY(y + segH)
		if done {
			return
		}
		p.newPage()
	}
}
