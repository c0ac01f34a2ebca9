// Command stdexports prints the exported top-level names each Go file declares, for
// scripts/gen-stdgraph.py: it reads absolute file paths from stdin, one per line, and writes
// "path<TAB>Name Name ...<TAB>Func:N Func:N ..." for each: the names (functions, not methods;
// types; variables and constants), then the functions that are not generic with how many
// results each returns, as go/parser reads the file. Run with `go run scripts/stdexports/main.go`.
//
// With -params it reads import paths instead and writes "path<TAB>Func(T1,T2) ..." for each: the
// exported functions that are not generic with their parameters' types as types2 prints them in
// an importer's error messages (qualified by package name, `...T` for a variadic one), as
// go/types checks the package from source for the target -goos, -goarch and -cgo name (the
// program itself runs on the host).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"strings"
)

func main() {
	params := flag.Bool("params", false, "print the functions' parameter types of import paths")
	goos := flag.String("goos", build.Default.GOOS, "with -params: the target's GOOS")
	goarch := flag.String("goarch", build.Default.GOARCH, "with -params: the target's GOARCH")
	cgo := flag.Bool("cgo", build.Default.CgoEnabled, "with -params: whether cgo is enabled")
	flag.Parse()
	if *params {
		build.Default.GOOS, build.Default.GOARCH, build.Default.CgoEnabled = *goos, *goarch, *cgo
		printParams()
		return
	}
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

func printParams() {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	imp := importer.ForCompiler(token.NewFileSet(), "source", nil)
	byName := func(p *types.Package) string { return p.Name() }
	for in.Scan() {
		path := in.Text()
		pkg, err := imp.Import(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var funcs []string
		for _, name := range pkg.Scope().Names() {
			f, ok := pkg.Scope().Lookup(name).(*types.Func)
			if !ok || !f.Exported() {
				continue
			}
			sig := f.Type().(*types.Signature)
			if sig.TypeParams().Len() > 0 {
				continue
			}
			var ps []string
			for i := 0; i < sig.Params().Len(); i++ {
				t := sig.Params().At(i).Type()
				if sig.Variadic() && i == sig.Params().Len()-1 {
					ps = append(ps, "..."+types.TypeString(t.(*types.Slice).Elem(), byName))
				} else {
					ps = append(ps, types.TypeString(t, byName))
				}
			}
			funcs = append(funcs, fmt.Sprintf("%s(%s)", name, strings.Join(ps, ",")))
		}
		fmt.Fprintf(out, "%s\t%s\n", path, strings.Join(funcs, " "))
	}
}
