package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"
)

// postConn is a lean HTTP/1.1 client for one keep-alive connection, used by the load generator instead of
// net/http's: the generator shares the machine with what it measures, and net/http's client spent about 75 µs of
// CPU per request (headers in maps, a goroutine pair per connection), as much as a third of the receiver's. The
// requests on the wire are what Alertmanager sends; answers are read completely (Content-Length or chunked).
type postConn struct {
	addr, host, path string
	timeout          time.Duration
	c                net.Conn
	r                *bufio.Reader
	w                *bufio.Writer
	head             []byte
}

func newPostConn(rawURL string, timeout time.Duration) (*postConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("%s: only http:// URLs", rawURL)
	}
	return &postConn{addr: u.Host, host: u.Host, path: u.RequestURI(), timeout: timeout}, nil
}

// post sends body and returns the answer's status code. After an error the connection is closed; the next post
// dials again.
func (p *postConn) post(body []byte) (int, error) {
	code, keep, err := p.roundTrip(body)
	if err != nil || !keep {
		p.close()
	}
	return code, err
}

// dial opens the connection unless it is open.
func (p *postConn) dial() error {
	if p.c != nil {
		return nil
	}
	c, err := net.DialTimeout("tcp", p.addr, 5*time.Second)
	if err != nil {
		return err
	}
	p.c, p.r, p.w = c, bufio.NewReaderSize(c, 4096), bufio.NewWriterSize(c, 8192)
	return nil
}

func (p *postConn) roundTrip(body []byte) (code int, keepAlive bool, err error) {
	if err := p.dial(); err != nil {
		return 0, false, err
	}
	if err := p.c.SetDeadline(time.Now().Add(p.timeout)); err != nil {
		return 0, false, err
	}
	p.head = fmt.Appendf(p.head[:0], "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Alertmanager/0.28.1\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", p.path, p.host, len(body))
	p.w.Write(p.head)
	p.w.Write(body)
	if err := p.w.Flush(); err != nil {
		return 0, false, err
	}
	return p.readResponse()
}

func (p *postConn) readResponse() (code int, keepAlive bool, err error) {
	line, err := p.r.ReadSlice('\n')
	if err != nil {
		return 0, false, fmt.Errorf("status line: %w", err)
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, fmt.Errorf("malformed status line %q", line)
	}
	if code, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, false, fmt.Errorf("malformed status line %q", line)
	}
	length, chunked, keepAlive := int64(-1), false, true
	for {
		line, err := p.r.ReadSlice('\n')
		if err != nil {
			return 0, false, fmt.Errorf("headers: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, false, fmt.Errorf("malformed header %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(value), 10, 64); err != nil {
				return 0, false, fmt.Errorf("malformed Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keepAlive = !bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case chunked:
		err = p.discardChunked()
	case length >= 0:
		_, err = p.r.Discard(int(length))
	default: // body until the connection closes
		_, err = io.Copy(io.Discard, p.r)
		keepAlive = false
	}
	return code, keepAlive, err
}

func (p *postConn) discardChunked() error {
	for {
		line, err := p.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		sizeHex, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		size, err := strconv.ParseInt(string(sizeHex), 16, 64)
		if err != nil {
			return fmt.Errorf("malformed chunk size %q", line)
		}
		if size == 0 { // trailers, then an empty line
			for {
				line, err := p.r.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if _, err := p.r.Discard(int(size) + 2); err != nil {
			return err
		}
	}
}

func (p *postConn) close() {
	if p.c != nil {
		_ = p.c.Close()
		p.c = nil
	}
}
