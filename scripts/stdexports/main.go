// Command stdexports prints the exported top-level names each Go file declares, for
// scripts/gen-stdgraph.py: it reads absolute file paths from stdin, one per line, and writes
// "path<TAB>Name Name ...<TAB>Func:N Func:N ..." for each: the names (functions, not methods;
// types; variables and constants), then the functions that are not generic with how many
// results each returns, as go/parser reads the file. Run with `go run scripts/stdexports/main.go`.
package main

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	fset := token.NewFileSet()
	for in.Scan() {
		path := in.Text()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var names, funcs []string
		add := func(id *ast.Ident) {
			if id.IsExported() {
				names = append(names, id.Name)
			}
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					add(d.Name)
					if d.Name.IsExported() && d.Type.TypeParams == nil {
						funcs = append(funcs, fmt.Sprintf("%s:%d", d.Name.Name, d.Type.Results.NumFields()))
					}
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						add(s.Name)
					case *ast.ValueSpec:
						for _, id := range s.Names {
							add(id)
						}
					}
				}
			}
		}
		fmt.Fprintf(out, "%s\t%s\t%s\n", path, strings.Join(names, " "), strings.Join(funcs, " "))
	}
}
