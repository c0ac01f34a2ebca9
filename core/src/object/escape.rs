//! An approximation of cmd/compile's escape analysis (`cmd/compile/internal/escape`) on tokens,
//! for the one thing the simulated object needs from it: the *parameter tags* the compiler writes
//! into export data for every exported function and method.
//!
//! Why it matters: a package's export data is hashed into a fingerprint that every direct
//! importer's object records (the linker checks it), and the tag of each parameter is part of
//! that export data. So a body edit that changes how a parameter escapes (`return
//! fmt.Sprint(ys)` → `fmt.Sprint(xs)`: "leaking param content: xs" → "leaking param: xs")
//! changes the export data and thus every importer's output, although no declaration changed and
//! the function is not inlinable.
//!
//! # What is modelled
//!
//! A tag is go's `leaks`: the fewest dereferences after which a parameter's value reaches the
//! heap, a *mutator* (memory written through it), a *callee* (it is called), or each of the
//! first five results. As go does, the body becomes a graph of value flows between locations
//! (parameters, results, locals, allocations, the heap) with a dereference count on each edge,
//! and every root is walked for the shortest paths; a location whose *address* reaches the heap
//! (or a result) escapes and becomes a heap root itself. Tags are optimised as go's
//! `leaks.Optimize` (a result or mutator leak no shorter than the heap leak is dropped).
//!
//! Flows, following go's rules: assignment (`=`, `:=`, `var`, `range` (elements, one deref)),
//! `return` (to the results), stores through a pointer, a slice element or a map (to the heap,
//! the base to the mutator), channel sends and `go` statements (to the heap), `&x` (-1), `*p`,
//! `x[i]` and `p.f` of a pointer parameter (+1), slicing and type assertions (0), composite
//! literals (slice and `&T{}` literals, `make` and `new` are allocations), `append` and `copy`
//! (go 1.23's rules: the appendee to the result and mutator and its elements to the heap, the
//! appended elements to the heap), string concatenation, comparisons and arithmetic (no flow),
//! conversions to predeclared types (no flow), calls of this package's functions and methods
//! (through their tags, computed to a fixpoint) and closures (their bodies analysed in place;
//! an immediately called literal binds its arguments to its parameters).
//!
//! # What is approximated
//!
//! There is no type checker. A call the analysis cannot see into (another package's function:
//! the export data of dependencies does not carry tags in this model, and std has no sources
//! here; a method of an unknown type; a function value) sends its arguments to the heap and the
//! function value to the callee, as go does for calls it cannot see. So absolute tags differ
//! where go knows the callee (`strings.ToUpper(s)` leaks `s` only to its result; here to the
//! heap), and a body edit that swaps one such call for another can change a tag here that go
//! keeps; what the content IDs need is that a tag changes when go's does. A parameter's type is
//! read from its signature only: predeclared scalars and this package's `type T <scalar>` carry
//! no tag, and the contents of `string`, `[]scalar`, `*scalar` and `[N]scalar` cannot leak.
//! Locals have no types: a selector on a local is a field of a value unless the local was
//! assigned a pointer (`&x`, `new`, a pointer parameter), an index of a local is a slice
//! element, and the index of a store goes to the heap (right for a map key; a slice index is an
//! int, which tags nothing). Loop depth (a local declared outside a loop outlives one inside)
//! and the by-value capture of small closure variables are not modelled; mutually recursive
//! functions start from "leaks to the heap"; a closure's returns go to the heap (go follows
//! them to the call when it can see every call). The tests compare the tags with `go build -gcflags=-m` on
//! snippets (`core/tests/escape.rs`).

use super::{Keyed, Names, Tk, BUILTINS, PREDECLARED_TYPES};

/// go's `numEscResults`.
const RESULTS: usize = 5;

/// One parameter's tag: the fewest dereferences to each sink (`None`: never).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Leaks {
    pub heap: Option<u8>,
    pub mutator: Option<u8>,
    pub callee: Option<u8>,
    pub results: [Option<u8>; RESULTS],
}

impl Leaks {
    fn add(slot: &mut Option<u8>, derefs: i32) {
        let d = derefs.clamp(0, 254) as u8;
        if slot.is_none_or(|o| d < o) {
            *slot = Some(d);
        }
    }

    /// go's `leaks.Optimize`.
    fn optimize(&mut self) {
        if let Some(h) = self.heap {
            for s in [&mut self.mutator, &mut self.callee]
                .into_iter()
                .chain(self.results.iter_mut())
            {
                if s.is_some_and(|x| x >= h) {
                    *s = None;
                }
            }
        }
    }

    /// The tag as it goes into the export data (`h0 m- c- r-,-,-,-,-`).
    pub fn encode(&self) -> String {
        let f = |s: Option<u8>| s.map_or("-".to_string(), |d| d.to_string());
        let r: Vec<String> = self.results.iter().map(|&s| f(s)).collect();
        format!(
            "h{} m{} c{} r{}",
            f(self.heap),
            f(self.mutator),
            f(self.callee),
            r.join(",")
        )
    }
}

/// A function's parameters (receiver first) with their tags; `None` for a parameter whose type
/// has no pointers (go does not tag those).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tags {
    pub params: Vec<(String, Option<Leaks>)>,
    /// Result names (`~r0`, … when unnamed), for go's wording.
    pub results: Vec<String>,
    /// The last parameter is `...T`.
    pub variadic: bool,
}

impl Tags {
    /// The tags as `go build -gcflags=-m` reports them, one line per tagged parameter:
    /// `leaking param: xs`, `leaking param content: xs`, `leaking param: s to result ~r0
    /// level=0`, `xs does not escape`. Blank and unnamed parameters are left out, as go does.
    pub fn report(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, l) in &self.params {
            let Some(l) = l else { continue };
            if name == "_" || name.starts_with('~') {
                continue;
            }
            let mut warned = false;
            if let Some(h) = l.heap {
                out.push(if h == 0 {
                    format!("leaking param: {name}")
                } else {
                    format!("leaking param content: {name}")
                });
                warned = true;
            }
            for (i, r) in l.results.iter().enumerate() {
                if let (Some(d), Some(res)) = (r, self.results.get(i)) {
                    out.push(format!("leaking param: {name} to result {res} level={d}"));
                    warned = true;
                }
            }
            if !warned {
                out.push(format!("{name} does not escape"));
            }
        }
        out
    }

    /// The encoded tags, for the export data.
    pub fn encode(&self) -> String {
        let v: Vec<String> = self
            .params
            .iter()
            .map(|(_, l)| l.map_or("scalar".to_string(), |l| l.encode()))
            .collect();
        v.join(";")
    }
}

/// One function of the package, as the analysis needs it.
pub(super) struct Func<'t> {
    /// `F` or `T.M`.
    pub key: String,
    /// From `func` to the body.
    pub sig: &'t [Tk],
    /// The body with its braces.
    pub body: &'t [Tk],
}

/// The tags of every function of one Go file (keys `F`, `T.M`), as the simulated compiler
/// computes them: for tests and for showing them.
pub fn file_tags(src: &str) -> Keyed<Tags> {
    package_tags(&[src])
}

/// The tags of every function of a package's Go files, analysed together (calls between its
/// files go through the callees' tags), as [`super::compile`] computes them.
pub fn package_tags(files: &[&str]) -> Keyed<Tags> {
    let lexed: Vec<_> = files
        .iter()
        .enumerate()
        .map(|(i, src)| super::lex(i, src.as_bytes()))
        .collect();
    let (mut types, mut scalars) = (Names::new(), Names::new());
    let mut decls = Vec::new();
    for (toks, comments) in &lexed {
        let (mut funcs, mut specs) = (Vec::new(), Vec::new());
        super::declarations(toks, comments, &mut funcs, &mut specs);
        super::type_declarations(toks, &mut types, &mut scalars);
        decls.push(funcs);
    }
    let fs: Vec<Func<'_>> = decls
        .iter()
        .zip(&lexed)
        .flat_map(|(funcs, (toks, _))| {
            funcs.iter().filter_map(move |f| {
                let (s, e) = f.body?;
                Some(Func {
                    key: f.key.clone(),
                    sig: &toks[f.sig.0..f.sig.1],
                    body: &toks[s..e],
                })
            })
        })
        .collect();
    // Imports by their local names (the default is the path's last element here; the compile
    // knows each dependency's package name).
    // Inserted one by one: collecting into a set would add a sort of its own (Page weight).
    let mut imports = Names::new();
    for i in files
        .iter()
        .flat_map(|src| crate::scan::scan("", src.as_bytes()).imports)
    {
        imports.insert(i.alias.as_deref().map_or_else(
            || i.path.rsplit('/').next().unwrap_or("").to_string(),
            str::to_string,
        ));
    }
    analyze(&fs, &types, &scalars, &imports)
}

/// The tags of every function with a body, by key: computed in rounds, each from the previous
/// round's tags of the callees (unknown at first: leaks to the heap), to a fixpoint or 8 rounds.
///
/// `types` are the package's type names (a call of one is a conversion), `scalars` those whose
/// underlying type is a predeclared scalar, `imports` the local names of imported packages.
pub(super) fn analyze(
    funcs: &[Func<'_>],
    types: &Names,
    scalars: &Names,
    imports: &Names,
) -> Keyed<Tags> {
    let sigs: Vec<Sig> = funcs
        .iter()
        .map(|f| Sig::parse(f.sig, scalars, false))
        .collect();
    let mut tags: Keyed<Tags> = Keyed::new();
    for _round in 0..8 {
        let mut next = Keyed::new();
        for (f, sig) in funcs.iter().zip(&sigs) {
            let ctx = Known {
                tags: &tags,
                types,
                scalars,
                imports,
            };
            next.insert(f.key.clone(), Analysis::run(sig, f.body, &ctx));
        }
        if next == tags {
            break;
        }
        tags = next;
    }
    tags
}

/// What the analysis of one function knows about the rest of the package.
struct Known<'a> {
    tags: &'a Keyed<Tags>,
    types: &'a Names,
    scalars: &'a Names,
    /// The local names of the imported packages (`x.F` with another `x` is a variable's).
    imports: &'a Names,
}

impl Known<'_> {
    /// The tags of a same-package function `F`, or of the only method named `M`.
    fn func(&self, name: &str) -> Option<&Tags> {
        self.tags.get(name)
    }
    fn method(&self, name: &str) -> Option<&Tags> {
        let mut it = self
            .tags
            .iter()
            .filter(|(k, _)| k.rsplit_once('.').is_some_and(|(_, m)| m == name));
        let first = it.next()?;
        it.next().is_none().then_some(first.1)
    }
}

// ---------------------------------------------------------------------------------------------
// Signatures

/// A parameter: its name, whether its type has pointers, the dereferences after which its
/// contents are scalar (`u8::MAX`: never known), and whether it is a pointer.
#[derive(Clone, Debug)]
struct Param {
    name: String,
    pointers: bool,
    scalar_depth: u8,
    is_pointer: bool,
}

#[derive(Clone, Debug, Default)]
struct Sig {
    params: Vec<Param>,
    results: Vec<String>,
    /// Whether each result's type has pointers (flows to one that has none are discarded, as
    /// go discards every expression of a pointer-free type).
    result_pointers: Vec<bool>,
    variadic: bool,
}

fn is_scalar_name(n: &str, types: &Names) -> bool {
    (PREDECLARED_TYPES.contains(&n) && !matches!(n, "string" | "error" | "any"))
        || types.contains(n)
}

/// After how many dereferences a value of this type holds no pointers (0: it has none).
fn scalar_depth(t: &[Tk], types: &Names) -> u8 {
    const NEVER: u8 = u8::MAX;
    match t {
        [] => NEVER,
        [x] => match x.ident() {
            Some("string") => 1,
            Some(n) if is_scalar_name(n, types) => 0,
            _ => NEVER,
        },
        [x, rest @ ..] if x.is("*") => scalar_depth(rest, types).saturating_add(1),
        [x, y, rest @ ..] if x.is("[") && y.is("]") => scalar_depth(rest, types).saturating_add(1),
        [x, ..] if x.is("[") => {
            let end = close(t, 0);
            scalar_depth(&t[(end + 1).min(t.len())..], types)
        }
        _ => NEVER,
    }
}

impl Sig {
    /// A declaration's signature (`func (r T) Name[P any](params) results`), or a function
    /// literal's (`func(params) results`) when `literal`.
    fn parse(t: &[Tk], types: &Names, literal: bool) -> Sig {
        let mut sig = Sig::default();
        let mut i = usize::from(t.first().is_some_and(|x| x.is("func")));
        if !literal && t.get(i).is_some_and(|x| x.is("(")) {
            let end = close(t, i);
            sig.params.extend(param_list(&t[i + 1..end], types));
            i = end + 1;
        }
        if !literal && t.get(i).is_some_and(|x| x.ident().is_some()) {
            i += 1;
        }
        if t.get(i).is_some_and(|x| x.is("[")) {
            i = close(t, i) + 1;
        }
        if t.get(i).is_some_and(|x| x.is("(")) {
            let end = close(t, i);
            sig.variadic = t[i + 1..end].iter().any(|x| x.is("..."));
            sig.params.extend(param_list(&t[i + 1..end], types));
            i = end + 1;
        }
        let rest = &t[i.min(t.len())..];
        let results: Vec<Param> = if rest.first().is_some_and(|x| x.is("(")) {
            param_list(&rest[1..close(rest, 0)], types)
        } else if rest.is_empty() {
            Vec::new()
        } else {
            let depth = scalar_depth(rest, types);
            vec![Param {
                name: String::new(),
                pointers: depth != 0,
                scalar_depth: depth,
                is_pointer: rest[0].is("*"),
            }]
        };
        sig.result_pointers = results.iter().map(|p| p.pointers).collect();
        sig.results = results
            .iter()
            .enumerate()
            .map(|(k, p)| {
                if p.name.is_empty() || p.name == "_" {
                    format!("~r{k}")
                } else {
                    p.name.clone()
                }
            })
            .collect();
        sig
    }
}

/// Splits `a, b int, c *T` (or `int, *T`) into parameters.
fn param_list(t: &[Tk], types: &Names) -> Vec<Param> {
    let items = split_top(t, ",");
    let named = items
        .iter()
        .any(|it| it.len() >= 2 && it[0].ident().is_some() && !it[1].is("."));
    let mut out: Vec<Param> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    for it in items {
        if it.is_empty() {
            continue;
        }
        let (name, ty) = if named {
            if it.len() == 1 {
                pending.push(it[0].spelling().to_string());
                continue;
            }
            (it[0].spelling().to_string(), &it[1..])
        } else {
            (String::new(), it)
        };
        let (depth, is_pointer) = match ty {
            // A variadic parameter is a slice.
            [ddd, elem @ ..] if ddd.is("...") => {
                (scalar_depth(elem, types).saturating_add(1), false)
            }
            _ => (
                scalar_depth(ty, types),
                ty.first().is_some_and(|x| x.is("*")),
            ),
        };
        for n in pending.drain(..).chain(std::iter::once(name)) {
            out.push(Param {
                name: n,
                pointers: depth != 0,
                scalar_depth: depth,
                is_pointer,
            });
        }
    }
    out
}

/// The closing bracket of the one opened at `k`, or `t.len()` when it is not in `t` (a
/// statement split in the wrong place must not make the analysis panic).
fn close(t: &[Tk], k: usize) -> usize {
    let m = super::matching(t, k);
    let closes = t
        .get(m)
        .is_some_and(|x| x.is(")") || x.is("]") || x.is("}"));
    if m > k && closes {
        m
    } else {
        t.len()
    }
}

/// Splits at a separator at bracket depth 0.
fn split_top<'t>(t: &'t [Tk], sep: &str) -> Vec<&'t [Tk]> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (k, x) in t.iter().enumerate() {
        if x.is("(") || x.is("[") || x.is("{") {
            depth += 1;
        } else if x.is(")") || x.is("]") || x.is("}") {
            depth -= 1;
        } else if depth == 0 && x.is(sep) {
            out.push(&t[start..k]);
            start = k + 1;
        }
    }
    if start < t.len() || !out.is_empty() {
        out.push(&t[start..]);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The flow graph

/// A location: an index into [`Analysis::locs`]. 0 is the heap, 1 the mutator, 2 the callee.
type Loc = usize;
const HEAP: Loc = 0;
const MUTATOR: Loc = 1;
const CALLEE: Loc = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Heap,
    Mutator,
    Callee,
    Param(usize),
    Result(usize),
    Local,
    Alloc,
}

/// A value: the locations it carries, each with its dereference count (-1: their address).
type Val = Vec<(Loc, i32)>;

struct Analysis<'a, 'k> {
    kinds: Vec<Kind>,
    /// Incoming edges per location: (source, derefs).
    edges: Vec<Vec<(Loc, i32)>>,
    /// Names in scope and their locations (sorted: the object model's one table type).
    names: Keyed<Loc>,
    /// Locals known to hold struct or array values (declared `var x T`, or assigned a
    /// composite literal); other locals may hold pointers. Indexed by location (a flag per
    /// location rather than a set: no B-tree code of its own in the page's wasm).
    values: Vec<bool>,
    sig: &'a Sig,
    known: &'a Known<'k>,
    /// The result locations of the function being analysed (closures: none).
    results: Vec<Loc>,
    steps: usize,
}

/// An upper bound on the work per function, so a pathological body cannot hang the page.
const MAX_STEPS: usize = 200_000;

impl<'a, 'k> Analysis<'a, 'k> {
    fn run(sig: &'a Sig, body: &[Tk], known: &'a Known<'k>) -> Tags {
        let mut a = Analysis {
            kinds: vec![Kind::Heap, Kind::Mutator, Kind::Callee],
            edges: vec![Vec::new(); 3],
            names: Keyed::new(),
            values: Vec::new(),
            sig,
            known,
            results: Vec::new(),
            steps: 0,
        };
        for (k, p) in sig.params.iter().enumerate() {
            let l = a.new_loc(Kind::Param(k));
            if !p.name.is_empty() && p.name != "_" {
                a.names.insert(p.name.clone(), l);
            }
        }
        for (k, r) in sig.results.iter().enumerate() {
            let l = a.new_loc(Kind::Result(k));
            a.results.push(l);
            if !r.starts_with('~') {
                a.names.insert(r.clone(), l);
            }
        }
        let inner = if body.len() >= 2 {
            &body[1..body.len() - 1]
        } else {
            &[]
        };
        a.block(inner);
        a.solve()
    }

    /// Whether a location may hold a pointer, so that a selector on it dereferences it and a
    /// store to its field writes through it.
    fn is_pointer(&self, l: Loc) -> bool {
        match self.kinds[l] {
            Kind::Param(i) => self.sig.params[i].is_pointer,
            Kind::Local => !self.values.get(l).copied().unwrap_or(false),
            _ => true,
        }
    }

    fn new_loc(&mut self, k: Kind) -> Loc {
        self.kinds.push(k);
        self.edges.push(Vec::new());
        self.kinds.len() - 1
    }

    fn flow(&mut self, dst: Loc, v: &Val, shift: i32) {
        for &(src, d) in v {
            let d = (d + shift).min(254);
            if !self.edges[dst].contains(&(src, d)) {
                self.edges[dst].push((src, d));
            }
        }
    }

    fn local(&mut self, name: &str) -> Loc {
        if let Some(&l) = self.names.get(name) {
            return l;
        }
        let l = self.new_loc(Kind::Local);
        self.names.insert(name.to_string(), l);
        l
    }

    // -----------------------------------------------------------------------------------------
    // Statements

    /// A block's statements: split at `;` and at block braces, each simple statement analysed.
    fn block(&mut self, t: &[Tk]) {
        let mut start = 0;
        let mut k = 0;
        let mut header = false;
        while k < t.len() {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return;
            }
            let x = &t[k];
            if x.is("func") {
                k = skip_func_literal(t, k);
                continue;
            }
            if x.is("(") || x.is("[") {
                k = close(t, k) + 1;
                continue;
            }
            if k == start && (x.is("if") || x.is("for") || x.is("switch") || x.is("select")) {
                header = true;
                start = k + 1;
                k += 1;
                continue;
            }
            if x.is("{") {
                if is_block_brace(t, start, k, header) {
                    self.simple(&t[start..k]);
                    let end = close(t, k);
                    self.block(&t[k + 1..end]);
                    k = end + 1;
                    if t.get(k).is_some_and(|y| y.is("else")) {
                        k += 1;
                    }
                    start = k;
                    header = false;
                    continue;
                }
                k = close(t, k) + 1;
                continue;
            }
            if x.is(";") {
                self.simple(&t[start..k]);
                start = k + 1;
            }
            k += 1;
        }
        if start < t.len() {
            self.simple(&t[start..]);
        }
    }

    /// One simple statement (no blocks).
    fn simple(&mut self, mut t: &[Tk]) {
        // Labels, `case X:` and `default:`.
        loop {
            match t {
                [x, c, rest @ ..] if x.ident().is_some() && c.is(":") => t = rest,
                [d, c, rest @ ..] if d.is("default") && c.is(":") => t = rest,
                [c, ..] if c.is("case") => {
                    let colon = top_index(t, ":").unwrap_or(t.len());
                    let clause = &t[1..colon];
                    if top_index(clause, ":=").is_some() || top_index(clause, "=").is_some() {
                        self.simple(clause); // `case v := <-ch:`
                    } else {
                        for e in split_top(clause, ",") {
                            self.expr(e);
                        }
                    }
                    t = &t[(colon + 1).min(t.len())..];
                }
                _ => break,
            }
        }
        let Some(first) = t.first() else { return };
        if first.is("return") {
            self.ret(&t[1..]);
            return;
        }
        if first.is("go") {
            let v = self.call_stmt(&t[1..]);
            self.flow(HEAP, &v, 0);
            return;
        }
        if first.is("defer") {
            self.expr(&t[1..]);
            return;
        }
        if first.is("var") {
            self.var_decl(&t[1..]);
            return;
        }
        if first.is("const")
            || first.is("type")
            || first.is("break")
            || first.is("continue")
            || first.is("goto")
            || first.is("fallthrough")
        {
            return;
        }
        for op in ["=", ":="] {
            if let Some(k) = top_index(t, op) {
                self.assign(&t[..k], &t[k + 1..], op == ":=");
                return;
            }
        }
        if let Some(k) = top_index(t, "<-").filter(|&k| k > 0 && ends_operand(&t[k - 1])) {
            // A send statement.
            self.expr(&t[..k]);
            let v = self.expr(&t[k + 1..]);
            self.flow(HEAP, &v, 0);
            return;
        }
        if let Some(k) = t.iter().position(|x| {
            matches!(
                x.spelling(),
                "+=" | "-=" | "*=" | "/=" | "%=" | "&=" | "|=" | "^=" | "<<=" | ">>=" | "&^="
            )
        }) {
            self.expr(&t[..k]);
            self.expr(&t[k + 1..]);
            return;
        }
        if t.last().is_some_and(|x| x.is("++") || x.is("--")) {
            return;
        }
        self.expr(t);
    }

    /// `go f(x)`: the call's arguments (and a called closure) go to the heap.
    fn call_stmt(&mut self, t: &[Tk]) -> Val {
        let mut all = Vec::new();
        if t.last().is_some_and(|x| x.is(")")) {
            let open = open_of(t, t.len() - 1);
            if t[open].is("(") && open > 0 {
                for e in split_top(&t[open + 1..t.len() - 1], ",") {
                    let e = strip_ddd(e);
                    all.extend(self.expr(e));
                }
                all.extend(self.expr(&t[..open]));
                return all;
            }
        }
        self.expr(t)
    }

    fn ret(&mut self, t: &[Tk]) {
        if t.is_empty() {
            return;
        }
        let exprs = split_top(t, ",");
        let results = self.results.clone();
        if exprs.len() == 1 && results.len() > 1 {
            let v = self.expr(exprs[0]);
            for r in results {
                self.flow(r, &v, 0);
            }
            return;
        }
        for (i, e) in exprs.into_iter().enumerate() {
            let v = self.expr(e);
            match results.get(i) {
                Some(&r) => self.flow(r, &v, 0),
                None => self.flow(HEAP, &v, 0), // a closure's return: its results are lost
            }
        }
    }

    fn var_decl(&mut self, t: &[Tk]) {
        if t.first().is_some_and(|x| x.is("(")) {
            let end = close(t, 0);
            for spec in split_top(&t[1..end], ";") {
                self.var_spec(spec);
            }
        } else {
            self.var_spec(t);
        }
    }

    fn var_spec(&mut self, t: &[Tk]) {
        let (lhs, rhs) = match top_index(t, "=") {
            Some(k) => (&t[..k], Some(&t[k + 1..])),
            None => (t, None),
        };
        // Names are the leading identifiers; the rest is the type.
        let mut names = Vec::new();
        let mut k = 0;
        while let Some(n) = lhs.get(k).and_then(Tk::ident) {
            names.push(n.to_string());
            if lhs.get(k + 1).is_some_and(|x| x.is(",")) {
                k += 2;
            } else {
                k += 1;
                break;
            }
        }
        let pointer = lhs.get(k).is_none_or(|x| x.is("*"));
        let locs: Vec<Loc> = names.iter().map(|n| self.local(n)).collect();
        if !pointer {
            for &l in &locs {
                self.mark_value(l);
            }
        }
        if let Some(rhs) = rhs {
            self.assign_values(&locs.iter().map(|&l| Some(l)).collect::<Vec<_>>(), rhs);
        }
    }

    fn assign(&mut self, lhs: &[Tk], rhs: &[Tk], define: bool) {
        let lhs = split_top(lhs, ",");
        if rhs.first().is_some_and(|x| x.is("range")) {
            let v = self.expr(&rhs[1..]);
            // `k, v := range x`: the value is an element (one dereference); the key of a slice
            // is an int (for a map it would be an element too; no types here).
            let dsts: Vec<Option<Loc>> = lhs.iter().map(|e| self.dest(e, define)).collect();
            if let Some(Some(d)) = dsts.get(1) {
                self.flow(*d, &v, 1);
            }
            return;
        }
        let dsts: Vec<Option<Loc>> = lhs.iter().map(|e| self.dest(e, define)).collect();
        self.assign_values(&dsts, rhs);
    }

    /// Notes that local `l` holds a struct or array value.
    fn mark_value(&mut self, l: Loc) {
        if self.values.len() <= l {
            self.values.resize(l + 1, false);
        }
        self.values[l] = true;
    }

    fn assign_values(&mut self, dsts: &[Option<Loc>], rhs: &[Tk]) {
        let srcs = split_top(rhs, ",");
        if srcs.len() == 1 && dsts.len() > 1 {
            let v = self.expr(srcs[0]);
            for d in dsts.iter().flatten() {
                self.flow(*d, &v, 0);
            }
            return;
        }
        for (i, s) in srcs.into_iter().enumerate() {
            let value = is_composite(s);
            let v = self.expr(s);
            if let Some(Some(d)) = dsts.get(i) {
                self.flow(*d, &v, 0);
                if value && self.kinds[*d] == Kind::Local {
                    self.mark_value(*d);
                }
            }
        }
    }

    /// Where a store to `e` goes (go's `escape.addr`); `None`: discarded.
    fn dest(&mut self, e: &[Tk], define: bool) -> Option<Loc> {
        match e {
            [] => None,
            [x] if x.ident() == Some("_") => None,
            [x] => {
                let n = x.ident()?;
                if define {
                    return Some(self.local(n));
                }
                Some(self.names.get(n).copied().unwrap_or(HEAP)) // a package-level variable
            }
            [.., last] if last.is("]") => {
                // `x[i] = v`: an element of a slice (mutated through it), or of a map (whose
                // key goes to the heap; a slice's index is an int, which carries nothing).
                let open = open_of(e, e.len() - 1);
                let key = self.expr(&e[open + 1..e.len() - 1]);
                self.flow(HEAP, &key, 0);
                let base = self.expr(&e[..open]);
                self.flow(MUTATOR, &base, 0);
                Some(HEAP)
            }
            [star, rest @ ..] if star.is("*") => {
                let base = self.expr(rest);
                self.flow(MUTATOR, &base, 0);
                Some(HEAP)
            }
            [.., dot, f] if dot.is(".") && f.ident().is_some() => {
                let base_t = &e[..e.len() - 2];
                if let [b] = base_t {
                    if let Some(&l) = b.ident().and_then(|n| self.names.get(n)) {
                        if !self.is_pointer(l) {
                            return Some(l); // a field of a local struct value
                        }
                    }
                }
                let base = self.expr(base_t);
                self.flow(MUTATOR, &base, 0);
                Some(HEAP)
            }
            _ => {
                self.expr(e);
                None
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Expressions

    /// The value of an expression (the locations it carries), recording the flows of what it
    /// evaluates on the way (calls' arguments, literals' elements).
    fn expr(&mut self, t: &[Tk]) -> Val {
        self.steps += 1;
        if t.is_empty() || self.steps > MAX_STEPS {
            return Vec::new();
        }
        // A binary operator at the top: arithmetic, comparison, concatenation carry nothing.
        let ops = binary_ops(t);
        if !ops.is_empty() {
            let mut s = 0;
            for &k in &ops {
                self.expr(&t[s..k]);
                s = k + 1;
            }
            self.expr(&t[s..]);
            return Vec::new();
        }
        let x = &t[0];
        if x.is("&") {
            if is_composite(&t[1..]) {
                return self.composite(&t[1..], true);
            }
            return shift(self.expr(&t[1..]), -1);
        }
        if x.is("*") {
            return shift(self.expr(&t[1..]), 1);
        }
        if x.is("-") || x.is("+") || x.is("!") || x.is("^") {
            self.expr(&t[1..]);
            return Vec::new();
        }
        if x.is("<-") {
            self.expr(&t[1..]);
            return Vec::new();
        }
        self.primary(t)
    }

    /// An operand with its selectors, indexes, calls and literal braces.
    fn primary(&mut self, t: &[Tk]) -> Val {
        // The operand.
        let (mut v, mut k, mut callee) = self.operand(t);
        // Suffixes.
        while k < t.len() {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Vec::new();
            }
            let x = &t[k];
            if x.is(".") {
                if t.get(k + 1).is_some_and(|y| y.is("(")) {
                    // A type assertion `.(T)`.
                    k = close(t, k + 1) + 1;
                    callee = Callee::Unknown;
                    continue;
                }
                let name = t.get(k + 1).map_or("", Tk::spelling).to_string();
                let is_call = t.get(k + 2).is_some_and(|y| y.is("("));
                if is_call {
                    callee = match &callee {
                        Callee::Package => Callee::Qualified,
                        _ => Callee::Method(name.clone(), v.clone()),
                    };
                    if !matches!(callee, Callee::Method(..)) {
                        v = Vec::new();
                    }
                } else {
                    let base_ptr = v.iter().any(|&(l, d)| d == 0 && self.is_pointer(l));
                    v = match callee {
                        Callee::Package => Vec::new(), // a package-level variable
                        _ => shift(v, i32::from(base_ptr)),
                    };
                    callee = Callee::Unknown;
                }
                k += 2;
                continue;
            }
            if x.is("[") {
                let end = close(t, k);
                let inner = &t[k + 1..end];
                let slicing = top_index(inner, ":").is_some();
                for e in split_top(inner, ":") {
                    self.expr(e);
                }
                if !slicing {
                    v = shift(v, 1);
                }
                callee = Callee::Unknown;
                k = end + 1;
                continue;
            }
            if x.is("(") {
                let end = close(t, k);
                let args = split_top(&t[k + 1..end], ",");
                let ddd = args
                    .last()
                    .is_some_and(|a| a.last().is_some_and(|y| y.is("...")));
                v = self.call(std::mem::replace(&mut callee, Callee::Unknown), &args, ddd);
                k = end + 1;
                continue;
            }
            if x.is("{") {
                // A literal of a named type: a value holding its elements.
                let end = close(t, k);
                v = self.elements(&t[k + 1..end], false);
                callee = Callee::Unknown;
                k = end + 1;
                continue;
            }
            // Anything else (a stray token): evaluate the rest for its flows.
            self.expr(&t[k + 1..]);
            break;
        }
        v
    }

    /// The operand at the start of `t`: its value, where its suffixes start, and what calling
    /// it would be.
    fn operand(&mut self, t: &[Tk]) -> (Val, usize, Callee) {
        let x = &t[0];
        if x.is("(") {
            let end = close(t, 0);
            let v = self.expr(&t[1..end]);
            return (v.clone(), end + 1, Callee::Value(v));
        }
        if x.is("func") {
            let (v, end, params) = self.func_literal(t);
            return (v, end, Callee::Literal(params));
        }
        if is_composite(t) {
            let end = literal_end(t);
            return (self.composite(&t[..end], false), end, Callee::Unknown);
        }
        if x.is("[") || x.is("map") || x.is("chan") || x.is("struct") || x.is("interface") {
            // A type used as a conversion: `[]byte(s)`.
            let mut k = 0;
            while k < t.len() && !t[k].is("(") {
                if t[k].is("[") || t[k].is("{") {
                    k = close(t, k);
                }
                k += 1;
            }
            return (Vec::new(), k, Callee::Convert(false));
        }
        let Some(name) = x.ident() else {
            return (Vec::new(), 1, Callee::Unknown); // a literal
        };
        if let Some(&l) = self.names.get(name) {
            return (vec![(l, 0)], 1, Callee::Value(vec![(l, 0)]));
        }
        let next_is_dot = t.get(1).is_some_and(|y| y.is("."));
        let callee = if BUILTINS.contains(&name) || name == "panic" || name == "recover" {
            Callee::Builtin(name.to_string())
        } else if PREDECLARED_TYPES.contains(&name) {
            Callee::Convert(matches!(name, "any" | "error"))
        } else if self.known.types.contains(name) {
            Callee::Convert(false)
        } else if next_is_dot && self.known.imports.contains(name) {
            Callee::Package
        } else if let Some(tags) = self.known.func(name) {
            Callee::Func(tags.clone())
        } else {
            Callee::Named
        };
        (Vec::new(), 1, callee)
    }

    /// A function literal: its body analysed in place (its parameters are locals, its returns
    /// are lost), its value a closure holding what it captures.
    fn func_literal(&mut self, t: &[Tk]) -> (Val, usize, Vec<Loc>) {
        let end = skip_func_literal(t, 0);
        let sig_end = (0..end.min(t.len())).find(|&k| t[k].is("{") && close(t, k) == end - 1);
        let Some(open) = sig_end else {
            return (Vec::new(), end, Vec::new());
        };
        let sig = Sig::parse(&t[..open], self.known.scalars, true);
        let mut params = Vec::new();
        for p in &sig.params {
            let l = self.new_loc(Kind::Local);
            if !p.name.is_empty() {
                self.names.insert(p.name.clone(), l);
            }
            params.push(l);
        }
        let saved = std::mem::take(&mut self.results);
        // The names bound before the closure, sorted (the table's order).
        let before: Vec<String> = self.names.keys().cloned().collect();
        self.block(&t[open + 1..end - 1]);
        self.results = saved;
        // The closure captures the outer variables its body names.
        let clo = self.new_loc(Kind::Alloc);
        let captured: Val = t[open + 1..end - 1]
            .iter()
            .filter_map(Tk::ident)
            .filter(|n| before.binary_search_by(|b| b.as_str().cmp(n)).is_ok())
            .filter_map(|n| self.names.get(n).map(|&l| (l, 0)))
            .filter(|(l, _)| !params.contains(l))
            .collect();
        self.flow(clo, &captured, 0);
        (vec![(clo, -1)], end, params)
    }

    /// `T{...}` (a value holding its elements) or `[]T{...}`, `map[K]V{...}`, `&T{...}` (an
    /// allocation holding them).
    fn composite(&mut self, t: &[Tk], address: bool) -> Val {
        let end = literal_end(t);
        let Some(open) = (0..end.min(t.len()))
            .rev()
            .find(|&k| t[k].is("{") && close(t, k) == end - 1)
        else {
            return Vec::new();
        };
        let is_map = t[0].is("map");
        let is_slice = t.len() > 1 && t[0].is("[") && t[1].is("]");
        let elems = self.elements(&t[open + 1..end - 1], is_map);
        if address || is_map || is_slice {
            let a = self.new_loc(Kind::Alloc);
            self.flow(a, &elems, 0);
            return vec![(a, -1)];
        }
        elems
    }

    /// The elements of a literal (`key: value` pairs too); a map's go to the heap.
    fn elements(&mut self, t: &[Tk], map: bool) -> Val {
        let mut all = Vec::new();
        for e in split_top(t, ",") {
            let (key, val) = match top_index(e, ":") {
                Some(k) => (Some(&e[..k]), &e[k + 1..]),
                None => (None, e),
            };
            let val_v = if val.first().is_some_and(|x| x.is("{")) {
                let end = close(val, 0);
                self.elements(&val[1..end], false)
            } else {
                self.expr(val)
            };
            if let Some(key) = key {
                // A struct field name evaluates to nothing; a map key is a value.
                let kv = self.expr(key);
                if map {
                    self.flow(HEAP, &kv, 0);
                }
            }
            if map {
                self.flow(HEAP, &val_v, 0);
            } else {
                all.extend(val_v);
            }
        }
        all
    }

    /// A call: the callee's rules move the arguments; the value is what the results carry.
    fn call(&mut self, callee: Callee, args: &[&[Tk]], ddd: bool) -> Val {
        let vals: Vec<Val> = args
            .iter()
            .filter(|a| !a.is_empty())
            .map(|a| {
                let a = strip_ddd(a);
                self.expr(a)
            })
            .collect();
        match callee {
            Callee::Builtin(name) => self.builtin(&name, &vals, ddd),
            Callee::Convert(boxing) => {
                // A conversion to a predeclared scalar or to string/[]byte copies; to an
                // interface or a named type the value passes through.
                let named = !boxing && vals.len() == 1;
                if boxing || named {
                    vals.into_iter().flatten().collect()
                } else {
                    Vec::new()
                }
            }
            Callee::Func(tags) => self.tagged(&tags, None, &vals, ddd),
            Callee::Method(name, recv_v) => match self.known.method(&name).cloned() {
                Some(tags) => self.tagged(&tags, Some(recv_v), &vals, ddd),
                None => {
                    self.flow(HEAP, &recv_v, 0);
                    self.unknown(&vals)
                }
            },
            Callee::Literal(params) => {
                for (i, v) in vals.iter().enumerate() {
                    if let Some(&p) = params.get(i) {
                        self.flow(p, v, 0);
                    }
                }
                Vec::new()
            }
            Callee::Value(f) => {
                self.flow(CALLEE, &f, 0);
                self.unknown(&vals)
            }
            Callee::Qualified | Callee::Named | Callee::Package | Callee::Unknown => {
                self.unknown(&vals)
            }
        }
    }

    /// A call the analysis cannot see into: every argument to the heap, nothing comes back.
    fn unknown(&mut self, vals: &[Val]) -> Val {
        for v in vals {
            self.flow(HEAP, v, 0);
        }
        Vec::new()
    }

    /// A call through a function's tags (`recv` first when a method).
    fn tagged(&mut self, tags: &Tags, recv: Option<Val>, vals: &[Val], ddd: bool) -> Val {
        let args: Vec<Val> = recv.into_iter().chain(vals.iter().cloned()).collect();
        let n = tags.params.len();
        let mut out = Vec::new();
        for (i, v) in args.iter().enumerate() {
            // Arguments from the variadic parameter on are elements of its implicit slice.
            let (pi, elem) = if tags.variadic && !ddd && i + 1 >= n {
                (n - 1, true)
            } else {
                (i, false)
            };
            let Some((_, leaks)) = tags.params.get(pi) else {
                self.flow(HEAP, v, 0);
                continue;
            };
            let Some(l) = leaks else { continue };
            let adj = |d: u8| -> i32 {
                let d = i32::from(d);
                if elem {
                    (d - 1).max(0)
                } else {
                    d
                }
            };
            if let Some(h) = l.heap {
                self.flow(HEAP, v, adj(h));
            }
            if let Some(m) = l.mutator {
                self.flow(MUTATOR, v, adj(m));
            }
            if let Some(c) = l.callee {
                self.flow(CALLEE, v, adj(c));
            }
            for r in l.results.iter().flatten() {
                out.extend(shift(v.clone(), adj(*r)));
            }
        }
        out
    }

    fn builtin(&mut self, name: &str, vals: &[Val], ddd: bool) -> Val {
        match name {
            "append" => {
                let Some((s, rest)) = vals.split_first() else {
                    return Vec::new();
                };
                self.flow(MUTATOR, s, 0);
                self.flow(HEAP, s, 1);
                for r in rest {
                    self.flow(HEAP, r, i32::from(ddd));
                }
                s.clone()
            }
            "copy" => {
                if let Some(d) = vals.first() {
                    self.flow(MUTATOR, d, 0);
                }
                if let Some(s) = vals.get(1) {
                    self.flow(HEAP, s, 1);
                }
                Vec::new()
            }
            "panic" => {
                for v in vals {
                    self.flow(HEAP, v, 0);
                }
                Vec::new()
            }
            "clear" => {
                if let Some(d) = vals.first() {
                    self.flow(MUTATOR, d, 0);
                }
                Vec::new()
            }
            "make" | "new" => {
                let a = self.new_loc(Kind::Alloc);
                vec![(a, -1)]
            }
            "min" | "max" => vals.iter().flatten().copied().collect(),
            _ => Vec::new(),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Solving

    /// Walks every root for the shortest dereference counts and collects the parameters' tags.
    fn solve(&self) -> Tags {
        let n = self.kinds.len();
        let mut leaks = vec![Leaks::default(); self.sig.params.len()];
        let mut escapes = vec![false; n];
        escapes[HEAP] = true;
        // Roots: the heap, the pseudo-locations and the results (popped in that order); a
        // location that starts to escape is walked again as a heap root. (go walks every
        // location as a root; the others outlive nothing, so only these can tag a parameter.)
        let mut queue: Vec<Loc> = self
            .results
            .iter()
            .zip(&self.sig.result_pointers)
            .rev()
            .filter(|(_, &p)| p)
            .map(|(&r, _)| r)
            .collect();
        queue.extend([CALLEE, MUTATOR, HEAP]);
        let mut walked_as_heap = vec![false; n];
        let mut guard = 0usize;
        while let Some(root) = queue.pop() {
            guard += 1;
            if guard > 4 * n + 16 {
                break;
            }
            let root_heap = escapes[root];
            if root_heap {
                if walked_as_heap[root] {
                    continue;
                }
                walked_as_heap[root] = true;
            }
            let mut dist: Vec<Option<i32>> = vec![None; n];
            dist[root] = Some(0);
            let mut todo = vec![root];
            while let Some(l) = todo.pop() {
                let mut d = dist[l].unwrap_or(0);
                if d < 0 {
                    d = 0;
                    if self.outlives(root, root_heap) && !escapes[l] {
                        escapes[l] = true;
                        queue.push(l);
                        if matches!(self.kinds[l], Kind::Local | Kind::Alloc) {
                            continue;
                        }
                    }
                }
                if let Kind::Param(i) = self.kinds[l] {
                    let lk = &mut leaks[i];
                    match self.kinds[root] {
                        _ if root_heap => {
                            Leaks::add(&mut lk.heap, d);
                        }
                        Kind::Mutator => Leaks::add(&mut lk.mutator, d),
                        Kind::Callee => Leaks::add(&mut lk.callee, d),
                        Kind::Result(r) if r < RESULTS => Leaks::add(&mut lk.results[r], d),
                        Kind::Result(_) => Leaks::add(&mut lk.heap, d),
                        _ => {}
                    }
                }
                for &(src, e) in &self.edges[l] {
                    if escapes[src] && src != root {
                        continue;
                    }
                    let nd = (d + e).min(254);
                    if dist[src].is_none_or(|old| nd < old) {
                        dist[src] = Some(nd);
                        todo.push(src);
                    }
                }
            }
        }
        let params = self
            .sig
            .params
            .iter()
            .zip(leaks)
            .map(|(p, mut l)| {
                if !p.pointers {
                    return (p.name.clone(), None);
                }
                // Contents without pointers cannot leak (go discards flows of scalar type).
                let cut = |s: &mut Option<u8>| {
                    if s.is_some_and(|d| d >= p.scalar_depth) {
                        *s = None;
                    }
                };
                cut(&mut l.heap);
                cut(&mut l.mutator);
                cut(&mut l.callee);
                l.results.iter_mut().for_each(cut);
                l.optimize();
                (p.name.clone(), Some(l))
            })
            .collect();
        Tags {
            params,
            results: self.sig.results.clone(),
            variadic: self.sig.variadic,
        }
    }

    /// go's `outlives`: the heap and the results outlive every location of the function.
    fn outlives(&self, root: Loc, root_heap: bool) -> bool {
        root_heap || matches!(self.kinds[root], Kind::Result(_))
    }
}

/// What a call's operand is.
#[derive(Clone, Debug)]
enum Callee {
    Builtin(String),
    /// A conversion; `true` to an interface.
    Convert(bool),
    /// A same-package function with its tags.
    Func(Tags),
    /// A method call `x.M` with the receiver's value.
    Method(String, Val),
    /// A package name (its selector follows).
    Package,
    /// `pkg.F`.
    Qualified,
    /// A name the analysis does not know (a function of another file not yet tagged, a
    /// package-level function variable).
    Named,
    /// An immediately called function literal, with its parameters' locations.
    Literal(Vec<Loc>),
    /// A function value held in these locations.
    Value(Val),
    Unknown,
}

fn shift(v: Val, by: i32) -> Val {
    v.into_iter()
        .map(|(l, d)| (l, (d + by).clamp(-1, 254)))
        .collect()
}

fn strip_ddd(a: &[Tk]) -> &[Tk] {
    match a {
        [rest @ .., last] if last.is("...") => rest,
        _ => a,
    }
}

/// The index of `op` at bracket depth 0 (outside function literals), if any.
fn top_index(t: &[Tk], op: &str) -> Option<usize> {
    let mut depth = 0i32;
    let mut k = 0;
    while k < t.len() {
        let x = &t[k];
        if depth == 0 && x.is("func") {
            k = skip_func_literal(t, k).max(k + 1);
            continue;
        }
        if x.is("(") || x.is("[") || x.is("{") {
            depth += 1;
        } else if x.is(")") || x.is("]") || x.is("}") {
            depth -= 1;
        } else if depth == 0 && x.is(op) {
            return Some(k);
        }
        k += 1;
    }
    None
}

/// The opening bracket matching the closing one at `close`.
fn open_of(t: &[Tk], close: usize) -> usize {
    let mut depth = 0;
    for k in (0..=close).rev() {
        if t[k].is(")") || t[k].is("]") || t[k].is("}") {
            depth += 1;
        } else if t[k].is("(") || t[k].is("[") || t[k].is("{") {
            depth -= 1;
            if depth == 0 {
                return k;
            }
        }
    }
    0
}

const BINARY: &[&str] = &[
    "+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "&^", "&&", "||", "==", "!=", "<", "<=",
    ">", ">=",
];

/// Whether a token ends an operand (so that an operator after it is binary).
fn ends_operand(x: &Tk) -> bool {
    x.ident().is_some()
        || matches!(
            x.tok,
            super::Tok::Int
                | super::Tok::Float
                | super::Tok::Imag
                | super::Tok::Char
                | super::Tok::String
        )
        || x.is(")")
        || x.is("]")
        || x.is("}")
}

/// The positions of binary operators at bracket depth 0.
fn binary_ops(t: &[Tk]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut k = 0;
    while k < t.len() {
        let x = &t[k];
        if x.is("func") && depth == 0 {
            k = skip_func_literal(t, k);
            continue;
        }
        if x.is("(") || x.is("[") || x.is("{") {
            depth += 1;
        } else if x.is(")") || x.is("]") || x.is("}") {
            depth -= 1;
        } else if depth == 0
            && k > 0
            && BINARY.contains(&x.spelling())
            && ends_operand(&t[k - 1])
            && !ends_type_prefix(t, k - 1)
        {
            out.push(k);
        }
        k += 1;
    }
    out
}

/// Whether the `]` at `k` closes a type's prefix (`[]`, `[N]`, `map[K]`), not an index: then a
/// `*` after it is a pointer type, not a product.
fn ends_type_prefix(t: &[Tk], k: usize) -> bool {
    if !t[k].is("]") {
        return false;
    }
    let open = open_of(t, k);
    open == 0 || t[open - 1].is("map") || !ends_operand(&t[open - 1])
}

/// Where a `func` literal starting at `k` ends (after its body's `}`).
fn skip_func_literal(t: &[Tk], k: usize) -> usize {
    let mut j = k + 1;
    while j < t.len() {
        if t[j].is("(") || t[j].is("[") {
            j = close(t, j) + 1;
            continue;
        }
        if t[j].is("struct") || t[j].is("interface") {
            // A result type with braces: skip its braces.
            if t.get(j + 1).is_some_and(|y| y.is("{")) {
                j = close(t, j + 1) + 1;
                continue;
            }
        }
        if t[j].is("{") {
            return close(t, j) + 1;
        }
        if t[j].is(";") || t[j].is(",") || t[j].is(")") {
            return j; // a function type, not a literal
        }
        j += 1;
    }
    t.len()
}

/// Whether `t` starts with a composite literal of a type literal: `[]T{`, `[N]T{`,
/// `map[K]V{`, `struct{...}{`, or a (qualified) type name followed by `{`.
fn is_composite(t: &[Tk]) -> bool {
    let end = literal_end(t);
    end > 0 && end <= t.len() && t[end - 1].is("}") && {
        let first = &t[0];
        first.is("[") || first.is("map") || first.is("struct") || first.ident().is_some()
    }
}

/// The end (exclusive) of a composite literal at the start of `t`, or 0.
fn literal_end(t: &[Tk]) -> usize {
    let mut k = 0;
    // The type.
    while k < t.len() {
        let x = &t[k];
        if x.is("[") {
            k = close(t, k) + 1;
            continue;
        }
        if x.is("map") || x.is("*") || x.is(".") || x.ident().is_some() {
            k += 1;
            if x.ident().is_some() && !t.get(k).is_some_and(|y| y.is(".") || y.is("[")) {
                break;
            }
            continue;
        }
        if (x.is("struct") || x.is("interface")) && t.get(k + 1).is_some_and(|y| y.is("{")) {
            k = close(t, k + 1) + 1;
            break;
        }
        if x.is("chan") || x.is("func") {
            return 0;
        }
        break;
    }
    if k == 0 || !t.get(k).is_some_and(|y| y.is("{")) {
        return 0;
    }
    // Generic instantiation `T[int]{` was consumed by the `[` rule.
    close(t, k) + 1
}

/// Whether the `{` at `k` opens a block (not a composite literal), in the statement starting at
/// `start`; `header`: the statement is an `if`/`for`/`switch`/`select` header, where go's
/// parser does not take `T{` for a literal.
fn is_block_brace(t: &[Tk], start: usize, k: usize, header: bool) -> bool {
    if k == start {
        return true; // a bare block, or the body after `else`
    }
    let prev = &t[k - 1];
    if prev.is("struct") || prev.is("interface") {
        return false;
    }
    if header {
        // `range []int{1, 2} {`: only a type literal starting with `[`, `map` or `struct`
        // makes a literal there; `x {` and `m[k] {` open the block.
        let os = operand_start(t, start, k);
        return !(t[os].is("[") || t[os].is("map") || t[os].is("struct"));
    }
    !(prev.ident().is_some() || prev.is("]") || prev.is("}"))
}

/// The start of the operand that ends just before `k` (back over a type's tokens).
fn operand_start(t: &[Tk], start: usize, k: usize) -> usize {
    let mut j = k;
    while j > start {
        let x = &t[j - 1];
        if x.is("]") {
            j = open_of(&t[..j], j - 1);
            continue;
        }
        if x.ident().is_some() || x.is(".") || x.is("*") || x.is("map") {
            j -= 1;
            continue;
        }
        break;
    }
    j
}
