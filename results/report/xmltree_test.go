package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

// xnode is an element of a parsed HTML report. The report is written as
// well-formed XML, so the standard XML decoder reads it strictly, which
// also checks that no text from the run broke the markup.
type xnode struct {
	name     string
	attrs    map[string]string
	children []*xnode
	text     strings.Builder
}

func parseXML(t *testing.T, b []byte) *xnode {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	root := &xnode{name: "#document"}
	stack := []*xnode{root}
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("report is not well-formed: %v", err)
		}
		top := stack[len(stack)-1]
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &xnode{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.text.Write(tok)
		}
	}
	if len(stack) != 1 {
		t.Fatalf("report has %d unclosed elements", len(stack)-1)
	}
	return root
}

// all returns n's descendants that match.
func (n *xnode) all(match func(*xnode) bool) []*xnode {
	var out []*xnode
	for _, c := range n.children {
		if match(c) {
			out = append(out, c)
		}
		out = append(out, c.all(match)...)
	}
	return out
}

func (n *xnode) tag(name string) []*xnode {
	return n.all(func(c *xnode) bool { return c.name == name })
}

func (n *xnode) byID(t *testing.T, id string) *xnode {
	t.Helper()
	found := n.all(func(c *xnode) bool { return c.attrs["id"] == id })
	if len(found) != 1 {
		t.Fatalf("%d elements with id %q, want 1", len(found), id)
	}
	return found[0]
}

// textContent is the text of n and its descendants, as a browser gives it.
func (n *xnode) textContent() string {
	var b strings.Builder
	var walk func(*xnode)
	walk = func(x *xnode) {
		b.WriteString(x.text.String())
		for _, c := range x.children {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// rows returns the cell texts of the rows under a table section (thead,
// tbody or tfoot).
func (n *xnode) rows(section string) [][]string {
	var out [][]string
	for _, sec := range n.tag(section) {
		for _, tr := range sec.tag("tr") {
			var cells []string
			for _, c := range tr.children {
				if c.name == "td" || c.name == "th" {
					cells = append(cells, strings.TrimSpace(c.textContent()))
				}
			}
			out = append(out, cells)
		}
	}
	return out
}
