// Package report turns what Firebreak knows of an incident into documents for people outside the response: the
// incident report for auditors (Audit), the EU AI Act serious-incident report draft (EUAIAct) and the CSV of a
// period's incidents (WriteCSV). Each has a stable JSON form (a Go struct with json tags, documented in the README)
// and readable ones, Markdown, HTML that prints well and PDF, all rendered from one Document.
//
// Everything here is pure: the plugin reads the incident, its timeline, evidence and verification and passes them in.
package report

import (
	"bufio"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/firebreak-dev/firebreak/pkg/incident"
)

// Format is how a report is written.
type Format string

const (
	JSON     Format = "json"
	Markdown Format = "markdown"
	HTML     Format = "html"
	PDF      Format = "pdf"
)

// Formats lists the formats, in the order they are offered.
var Formats = []Format{JSON, Markdown, HTML, PDF}

// ParseFormat reads a format name; "" is JSON.
func ParseFormat(v string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(v))); f {
	case "":
		return JSON, nil
	case JSON, Markdown, HTML, PDF:
		return f, nil
	case "md":
		return Markdown, nil
	}
	return "", fmt.Errorf("format: %q is not json, markdown, html or pdf", incident.Truncate(v, 50))
}

// ContentType is the media type of the format.
func (f Format) ContentType() string {
	switch f {
	case Markdown:
		return "text/markdown; charset=utf-8"
	case HTML:
		return "text/html; charset=utf-8"
	case PDF:
		return "application/pdf"
	}
	return "application/json"
}

// Extension is the file name extension of the format.
func (f Format) Extension() string {
	switch f {
	case Markdown:
		return "md"
	case HTML:
		return "html"
	case PDF:
		return "pdf"
	}
	return "json"
}

// Document is a report as people read it: a title, lines under it, and sections of fields and tables.
type Document struct {
	Title    string
	Subject  string    // the incident, by id and title: at the top of every page of the PDF
	At       time.Time // when the report was made: the PDF's creation date, so the same report gives the same bytes
	Lines    []string  // under the title: what it is, when and by whom it was made
	Sections []Section
}

// Write writes the document in a readable format (Markdown, HTML or PDF).
func (d *Document) Write(w io.Writer, f Format) error {
	switch f {
	case Markdown:
		return WriteMarkdown(w, d)
	case HTML:
		return WriteHTML(w, d)
	case PDF:
		return WritePDF(w, d)
	}
	return fmt.Errorf("format: %q is not a readable format", f)
}

// Section is one part of a document.
type Section struct {
	Heading string
	Text    []string // paragraphs before the fields
	Fields  []Field
	Tables  []Table
}

// Field is one labelled value; ToFill marks a value Firebreak cannot know, for a person to fill, with a hint.
type Field struct {
	Label  string
	Value  string
	ToFill bool
	Hint   string
	Source string // where a pre-filled value came from
	Mono   bool   // a hash: fixed-width in the PDF
}

// Table is rows of cells under column names.
type Table struct {
	Caption string
	Columns []string
	Rows    [][]string
	Mono    []string // the columns of hashes: fixed-width in the PDF
}

// WriteMarkdown writes the document as Markdown (CommonMark with pipe tables).
func WriteMarkdown(w io.Writer, d *Document) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "# %s\n\n", mdInline(d.Title))
	for _, l := range d.Lines {
		fmt.Fprintf(b, "%s  \n", mdInline(l))
	}
	for _, s := range d.Sections {
		fmt.Fprintf(b, "\n## %s\n\n", mdInline(s.Heading))
		for _, p := range s.Text {
			fmt.Fprintf(b, "%s\n\n", mdInline(p))
		}
		for _, f := range s.Fields {
			switch {
			case f.ToFill && f.Value != "":
				fmt.Fprintf(b, "- **%s:** %s **[TO FILL]** _%s_\n", mdInline(f.Label), mdInline(f.Value), mdInline(f.Hint))
			case f.ToFill:
				fmt.Fprintf(b, "- **%s:** **[TO FILL]** _%s_\n", mdInline(f.Label), mdInline(f.Hint))
			case f.Source != "":
				fmt.Fprintf(b, "- **%s:** %s _(from %s)_\n", mdInline(f.Label), mdInline(f.Value), mdInline(f.Source))
			default:
				fmt.Fprintf(b, "- **%s:** %s\n", mdInline(f.Label), mdInline(f.Value))
			}
		}
		for i, t := range s.Tables {
			if len(s.Fields) > 0 || i > 0 {
				b.WriteString("\n")
			}
			if t.Caption != "" {
				fmt.Fprintf(b, "**%s**\n\n", mdInline(t.Caption))
			}
			if len(t.Rows) == 0 {
				b.WriteString("_None._\n")
				continue
			}
			b.WriteString("|")
			for _, c := range t.Columns {
				fmt.Fprintf(b, " %s |", mdCell(c))
			}
			b.WriteString("\n|")
			for range t.Columns {
				b.WriteString(" --- |")
			}
			b.WriteString("\n")
			for _, row := range t.Rows {
				b.WriteString("|")
				for _, c := range row {
					fmt.Fprintf(b, " %s |", mdCell(c))
				}
				b.WriteString("\n")
			}
		}
	}
	return b.Flush()
}

// mdInline keeps text on one line and escapes what Markdown would read as markup, so that a title like
// "<script>" or "**x**" from an alert shows as written.
func mdInline(s string) string {
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, "\r", " ")), " ")
	return mdEscaper.Replace(s)
}

var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", "&lt;",
	">", "&gt;", "#", `\#`, "|", `\|`, "&", "&amp;")

func mdCell(s string) string { return mdInline(s) }

// WriteHTML writes the document as one self-contained HTML page (no scripts, no outside resources) that prints
// well: print it to PDF from the browser.
func WriteHTML(w io.Writer, d *Document) error {
	b := bufio.NewWriter(w)
	if err := htmlPage.Execute(b, d); err != nil {
		return err
	}
	return b.Flush()
}

var htmlPage = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body { font: 11pt/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #111; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 18pt; margin-bottom: .3rem; }
h2 { font-size: 13pt; border-bottom: 1px solid #999; padding-bottom: .15rem; margin-top: 1.6rem; }
.lines { color: #444; margin: 0 0 1rem; }
dl { display: grid; grid-template-columns: 15rem 1fr; gap: .25rem 1rem; margin: .5rem 0; }
dt { font-weight: 600; }
dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.to-fill { background: #fff3bf; border-left: 3px solid #e8a400; padding: 0 .4rem; }
.to-fill .mark { font-weight: 700; color: #8a5a00; }
.hint, .source { color: #555; font-style: italic; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: 9pt; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border: 1px solid #bbb; padding: .2rem .35rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #eee; }
.none { color: #555; font-style: italic; }
@page { size: A4; margin: 15mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; }
  tr, dt, dd { break-inside: avoid; }
  thead { display: table-header-group; }
  .to-fill { border-left-width: 2px; }
}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="lines">{{range $i, $l := .Lines}}{{if $i}}<br>{{end}}{{$l}}{{end}}</p>
{{range .Sections}}<section>
<h2>{{.Heading}}</h2>
{{range .Text}}<p>{{.}}</p>
{{end}}{{if .Fields}}<dl>
{{range .Fields}}<dt>{{.Label}}</dt>
{{if .ToFill}}<dd class="to-fill">{{if .Value}}{{.Value}} {{end}}<span class="mark">[TO FILL]</span> <span class="hint">{{.Hint}}</span></dd>
{{else}}<dd>{{.Value}}{{if .Source}} <span class="source">(from {{.Source}})</span>{{end}}</dd>
{{end}}{{end}}</dl>
{{end}}{{range .Tables}}{{if .Rows}}<table>
{{if .Caption}}<caption>{{.Caption}}</caption>
{{end}}<thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
{{else}}{{if .Caption}}<p><strong>{{.Caption}}</strong></p>
{{end}}<p class="none">None.</p>
{{end}}{{end}}</section>
{{end}}</body>
</html>
`))
