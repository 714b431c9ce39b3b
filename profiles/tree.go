package profiles

import (
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"
)

// checkTree refuses what a request template has no use for and what could
// make rendering loop or read data it does not have, and checks that every
// variable it reads ({{.name}}) is one of the class's, set by the time the
// request runs.
func (f *field) checkTree(t *template.Template, text string, sc *scope) error {
	if len(t.Templates()) > 1 {
		return f.errorf(1, "define and block are not supported in profile templates")
	}
	var bad parse.Node
	var why string
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		if bad != nil || n == nil {
			return
		}
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.ChainNode:
			walk(n.Node)
		case *parse.RangeNode:
			bad, why = n, "range is not supported in profile templates"
		case *parse.TemplateNode:
			bad, why = n, "template and block are not supported in profile templates"
		case *parse.BreakNode, *parse.ContinueNode:
			bad, why = n, "break and continue are not supported in profile templates"
		case *parse.DotNode:
			bad, why = n, "templates have no data (.) but their variables, such as {{.token}}, and functions such as seq, userID or randInt"
		case *parse.FieldNode:
			if msg := sc.checkVar(n.Ident); msg != "" {
				bad, why = n, msg
			}
			f.usesVars = true
		case *parse.VariableNode:
			if n.Ident[0] == "$" {
				bad, why = n, "templates have no data ($); use variables such as {{.token}}, or functions such as seq, userID or randInt"
			}
		}
	}
	walk(t.Tree.Root)
	if bad != nil {
		return f.errorf(lineAt(text, int(bad.Position())), "%s", why)
	}
	return nil
}

// checkVar says what is wrong with a use of the variable .ident[0], or
// returns "".
func (sc *scope) checkVar(ident []string) string {
	name := strings.Join(ident, ".")
	if len(ident) != 1 {
		return fmt.Sprintf("{{.%s}}: variables are single names, such as {{.token}}", name)
	}
	if sc == nil {
		return fmt.Sprintf("{{.%s}}: variables come from captures and data files, which this template cannot see", name)
	}
	if _, ok := sc.vars[name]; !ok {
		defined := "the class defines none"
		if len(sc.names) > 0 {
			defined = "the class defines " + strings.Join(sc.names, ", ")
		}
		return fmt.Sprintf("variable %s is not defined: no capture or data column of class %s sets it (%s)", name, sc.class, defined)
	}
	if sc.ready != nil && !sc.ready[name] {
		return fmt.Sprintf("variable %s has no value yet when this request runs: it is captured by %s, which runs later", name, sc.later[name])
	}
	return ""
}

// lineAt is the 1-based line of byte offset pos in text.
func lineAt(text string, pos int) int {
	if pos > len(text) {
		pos = len(text)
	}
	return 1 + strings.Count(text[:max(pos, 0)], "\n")
}

// fastPath turns a template made only of text and simple calls (such as
// {{randInt 1 3}} or {{seq}}) into segments that render without
// text/template's reflection and allocations. ok is false when anything
// else appears; text/template then renders the field.
func fastPath(root *parse.ListNode, text string, sc *scope) (segs []segment, ok bool) {
	if root == nil {
		return nil, true
	}
	for _, n := range root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			if len(n.Text) == 0 {
				continue
			}
			if k := len(segs) - 1; k >= 0 && segs[k].kind == segText {
				segs[k].text = append(segs[k].text, n.Text...)
				continue
			}
			segs = append(segs, segment{kind: segText, text: append([]byte(nil), n.Text...)})
		case *parse.CommentNode:
		case *parse.ActionNode:
			s, ok := callSegment(n.Pipe, sc)
			if !ok {
				return nil, false
			}
			s.line = lineAt(text, int(n.Position()))
			segs = append(segs, s)
		default:
			return nil, false
		}
	}
	return segs, true
}

// callSegment recognises a pipeline that is a single call of one of the
// package's functions with integer constants as arguments, or a variable.
func callSegment(p *parse.PipeNode, sc *scope) (segment, bool) {
	if p == nil || p.IsAssign || len(p.Decl) > 0 || len(p.Cmds) != 1 {
		return segment{}, false
	}
	args := p.Cmds[0].Args
	if fn, ok := args[0].(*parse.FieldNode); ok && len(args) == 1 && len(fn.Ident) == 1 && sc != nil {
		i, defined := sc.vars[fn.Ident[0]]
		if !defined {
			return segment{}, false
		}
		return segment{kind: segVar, a: i, call: p.String()}, true
	}
	id, ok := args[0].(*parse.IdentifierNode)
	if !ok {
		return segment{}, false
	}
	ints := make([]int, 0, 2)
	for _, a := range args[1:] {
		n, ok := a.(*parse.NumberNode)
		if !ok || !n.IsInt || int64(int(n.Int64)) != n.Int64 {
			return segment{}, false
		}
		ints = append(ints, int(n.Int64))
	}
	s := segment{call: p.String()}
	switch {
	case id.Ident == "seq" && len(ints) == 0:
		s.kind = segSeq
	case id.Ident == "userID" && len(ints) == 0:
		s.kind = segUserID
	case id.Ident == "uuid" && len(ints) == 0:
		s.kind = segUUID
	case id.Ident == "randInt" && len(ints) == 2:
		s.kind, s.a, s.b = segRandInt, ints[0], ints[1]
	case id.Ident == "randString" && len(ints) == 1:
		s.kind, s.a = segRandString, ints[0]
	default:
		return segment{}, false
	}
	return s, true
}
