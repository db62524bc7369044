package testenv

import (
	"bytes"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// PDFText extracts the text of a PDF with poppler's pdftotext (Debian's poppler-utils, which scripts/install-deps
// installs); the PDF must start like one and pdftotext must read it without a complaint. Pages end with a form feed.
func PDFText(t testing.TB, pdf []byte) string {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.")) {
		t.Fatalf("testenv: not a PDF: %.60q", pdf)
	}
	cmd := exec.Command("pdftotext", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil || errOut.Len() > 0 {
		t.Fatalf("testenv: pdftotext (poppler-utils; scripts/install-deps installs it): %v: %s", err, errOut.String())
	}
	return out.String()
}

var pagesLine = regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`)

// PDFPages is a PDF's page count as poppler's pdfinfo reads it.
func PDFPages(t testing.TB, pdf []byte) int {
	t.Helper()
	cmd := exec.Command("pdfinfo", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.CombinedOutput()
	m := pagesLine.FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("testenv: pdfinfo (poppler-utils): %v: %s", err, out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}
