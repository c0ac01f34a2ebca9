//! The generated workspaces the benchmarks load: one module, `example.com/big`, with a main
//! package at its root and `n - 1` library packages in groups of 100 directories
//! (`g012/p1234`). Package `i` imports up to six packages `j > i` drawn from the next 2,000
//! (so the graph is acyclic, ~6 edges per package like PERFORMANCE.md's reference DAG), and one
//! to three std packages. Every package has two files, ~3 KB in all: a header with the imports
//! and a few small functions, and a second file of functions. Deterministic (splitmix64).
#![allow(dead_code)]

use buildlab_core::actionid::{self, BuildId, IdConfig, WorkspaceFiles};
use buildlab_core::load::{load, LoadRequest, Loaded};
use buildlab_core::plan::{plan, Mode, Plan, Toolchain};
use buildlab_core::workspace::Workspace;

pub const ROOT: &str = "/tmp/big";
const MODULE: &str = "example.com/big";
const STD: &[&str] = &[
    "bytes", "errors", "fmt", "io", "math", "os", "sort", "strconv", "strings", "sync",
];

pub struct Generated {
    pub ws: Workspace,
    pub req: LoadRequest,
    /// Packages of the module.
    pub n: usize,
    /// Module-internal import edges `(importer, imported)`.
    pub edges: Vec<(usize, usize)>,
    /// Bytes of all files.
    pub bytes: usize,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn dir(i: usize) -> String {
    if i == 0 {
        String::new()
    } else {
        format!("g{:03}/p{i}", i / 100)
    }
}

fn funcs(out: &mut String, pkg: usize, from: usize, count: usize) {
    for k in from..from + count {
        out.push_str(&format!(
            "// F{k} sums a series; generated for package {pkg}.\n\
             func F{k}(x int) int {{\n\
             \ts := 0\n\
             \tfor i := 0; i < x; i++ {{\n\
             \t\ts += i * {k}\n\
             \t}}\n\
             \treturn s + {pkg}\n\
             }}\n\n"
        ));
    }
}

pub fn workspace(n: usize) -> Generated {
    let mut rng = Rng(0x5eed ^ n as u64);
    let mut ws = Workspace::new();
    let mut edges = Vec::new();
    let mut bytes = 0;
    let gomod = format!("module {MODULE}\n\ngo 1.23\n");
    bytes += gomod.len();
    ws.insert("go.mod", gomod).unwrap();
    for i in 0..n {
        let mut imports: Vec<String> = Vec::new();
        let later = n - i - 1;
        if later > 0 {
            let want = 6.min(later);
            let mut picked: Vec<usize> = Vec::new();
            while picked.len() < want {
                let j = i + 1 + rng.below(later.min(2000));
                if !picked.contains(&j) {
                    picked.push(j);
                }
            }
            for j in picked {
                edges.push((i, j));
                imports.push(format!("{MODULE}/{}", dir(j)));
            }
        }
        for _ in 0..1 + rng.below(3) {
            let s = STD[rng.below(STD.len())].to_string();
            if !imports.contains(&s) {
                imports.push(s);
            }
        }
        let (name, body) = if i == 0 {
            ("main".to_string(), "func main() {}\n\n")
        } else {
            (format!("p{i}"), "")
        };
        let mut a = format!("// Package {name} is generated.\npackage {name}\n\nimport (\n");
        for p in &imports {
            a.push_str(&format!("\t_ \"{p}\"\n"));
        }
        a.push_str(")\n\n");
        a.push_str(body);
        funcs(&mut a, i, 0, 10);
        let mut b = format!("package {name}\n\n");
        funcs(&mut b, i, 10, 6);
        let d = dir(i);
        let at = |f: &str| {
            if d.is_empty() {
                f.to_string()
            } else {
                format!("{d}/{f}")
            }
        };
        bytes += a.len() + b.len();
        ws.insert(&at(&format!("{name}.go")), a).unwrap();
        ws.insert(&at("more.go"), b).unwrap();
    }
    let req = LoadRequest {
        patterns: vec!["./...".into()],
        module_root_display: ROOT.into(),
        ..LoadRequest::default()
    };
    Generated {
        ws,
        req,
        n,
        edges,
        bytes,
    }
}

/// Load and plan as the page does: the plan takes the loader's input (`Loaded::input` is left
/// empty; the plan's `input()` has it).
pub fn load_and_plan(g: &Generated) -> (Loaded, Plan) {
    let mut loaded = load(&g.ws, &g.req).expect("generated workspace loads");
    let input = std::mem::take(&mut loaded.input);
    let p = plan(input, &Toolchain::default()).expect("generated workspace plans");
    (loaded, p)
}

/// Every action ID of the plan, in priority order, with each output's content ID standing in
/// as its action ID (no simulated compile): what cmd/go hashes before it looks in the cache.
/// The files are looked up and hashed first, once each ([`actionid::DigestedFiles`]), inside the
/// timed call as the reference's hashes are.
/// Returns a digest of all IDs, so nothing is optimised away.
pub fn action_ids(p: &Plan, ws: &Workspace) -> u8 {
    let ws_files = WorkspaceFiles {
        ws,
        root: ROOT.into(),
    };
    let files = actionid::DigestedFiles::new(p, &ws_files);
    let cfg = IdConfig::default();
    let mut order: Vec<_> = p.actions().map(|(a, x)| (x.priority, a)).collect();
    order.sort_unstable();
    let mut ids: Vec<Option<BuildId>> = vec![None; p.graph().node_count()];
    let mut acc = 0u8;
    for (_, a) in order {
        let x = p.action(a);
        let h = match x.mode {
            Mode::Build => actionid::compile_id(p, a, &files, &|d| ids[d.index()], &cfg),
            Mode::Link => actionid::link_id(p, a, &|d| ids[d.index()], &cfg),
            _ => continue,
        };
        acc ^= h.id.0[0];
        ids[a.index()] = Some(BuildId {
            action: h.id,
            content: h.id,
        });
    }
    acc
}

/// PERFORMANCE.md's reference for the pipeline: blake3 of every file (one digest per file, as
/// action IDs need), then a petgraph `DiGraph` of the packages and import edges, toposorted.
/// Returns a byte of the digests and the order's length, so nothing is optimised away.
pub fn reference(g: &Generated) -> (u8, usize) {
    use petgraph::algo::toposort;
    use petgraph::graph::DiGraph;
    let mut acc = 0u8;
    for (_, data) in g.ws.iter() {
        acc ^= buildlab_core::hash::Digest::of(data).0[0];
    }
    let mut graph: DiGraph<(), (), u32> = DiGraph::with_capacity(g.n, g.edges.len());
    let nodes: Vec<_> = (0..g.n).map(|_| graph.add_node(())).collect();
    for &(a, b) in &g.edges {
        graph.add_edge(nodes[a], nodes[b], ());
    }
    let order = toposort(&graph, None).expect("acyclic");
    (acc, order.len())
}
