//! One pass of the go command's cache logic over a plan, in dependency order: compute each
//! action's ID, consult the cache as cmd/go's `useCache` does, produce the simulated output
//! ([`crate::object`]) on a miss and store it, and record what every action hashed. And
//! [`predict`]: the rebuild set for the current edits, from the last build's record alone.
//!
//! cmd/go's rules modelled here: `-a` misses everything but still stores; `build` outputs are
//! stored (with an empty `stdout` entry beside them); `link` outputs are stored only when
//! asked (`go run`), never for `go build`; a target already in place whose build ID starts with
//! the action ID is left alone, and for `package main` whose only use is the link, a binary in
//! place with a matching four-part build ID makes the compile itself unnecessary (exec.go's
//! "main build pseudo-cache"), so a warm no-op build runs nothing and a build with the binary
//! deleted only relinks.
//!
//! Not here: timing and parallelism (the scheduler and the toolchain's cost model are separate),
//! printing transcripts, and the real tools. Everything runs sequentially in priority order,
//! which yields the same cache decisions as any valid schedule.

use std::collections::{BTreeMap, HashMap};

use crate::actionid::{self, short, BuildId, HashedInputs, IdConfig, LinkBuildId, SourceFiles};
use crate::cache::{Cache, UnixNanos};
use crate::hash::Digest;
use crate::object::{self, Dep, Object};
use crate::plan::{ActionIx, Mode, Plan, Step, Tool};
use crate::stdlib::StdLib;
use crate::why::{self, Explain, MissReason, Outcome};

/// The command's flags that change cache behaviour.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// `-a`.
    pub force: bool,
    /// Store and reuse link outputs (`go run`).
    pub cache_link: bool,
    pub ids: IdConfig,
}

/// What the last build of each action hashed and produced, kept so that the next build can say
/// what changed.
#[derive(Clone, Debug, Default)]
pub struct Record {
    pub actions: BTreeMap<String, ActionRecord>,
}

#[derive(Clone, Debug)]
pub struct ActionRecord {
    pub inputs: HashedInputs,
    pub build_id: String,
    /// The build ID's parts (for compile: action, content; for link: the content).
    pub compile_id: Option<BuildId>,
    pub content: Digest,
    /// The simulated object's export data, for prediction of importers.
    pub export: Option<object::ExportData>,
}

/// One action's result.
#[derive(Clone, Debug)]
pub struct ActionReport {
    pub action: ActionIx,
    /// `build P` or `link P`.
    pub key: String,
    pub import_path: String,
    pub mode: Mode,
    pub outcome: Outcome,
    pub inputs: HashedInputs,
    pub build_id: String,
    /// Asm invocations run (0 unless the action ran and has `.s` files).
    pub asm_runs: usize,
}

/// The result of a build (or of a prediction).
#[derive(Clone, Debug, Default)]
pub struct BuildReport {
    pub actions: Vec<ActionReport>,
    /// The new record (the old one updated with this build's actions).
    pub record: Record,
    /// The build ID of the binary in place after the build.
    pub target: Option<String>,
}

impl BuildReport {
    /// Import paths of the packages compiled, sorted.
    pub fn compiled(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .actions
            .iter()
            .filter(|a| a.mode == Mode::Build && a.outcome.ran())
            .map(|a| a.import_path.clone())
            .collect();
        v.sort();
        v
    }
    pub fn asm_runs(&self) -> usize {
        self.actions.iter().map(|a| a.asm_runs).sum()
    }
    pub fn link_runs(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| a.mode == Mode::Link && a.outcome.ran())
            .count()
    }
    pub fn get(&self, key: &str) -> Option<&ActionReport> {
        self.actions.iter().find(|a| a.key == key)
    }
    /// The why-rebuilt text of an action (see [`why::explain`]).
    pub fn explain(&self, key: &str) -> String {
        why::explain(self, key)
    }
}

impl Explain for BuildReport {
    fn outcome(&self, key: &str) -> Option<&Outcome> {
        self.get(key).map(|a| &a.outcome)
    }
    fn producer(&self, import_path: &str) -> Option<String> {
        self.actions
            .iter()
            .find(|a| a.mode == Mode::Build && a.import_path == import_path)
            .map(|a| a.key.clone())
    }
}

/// The `-lang` the plan passes to compile (`1.23`), or the toolchain's language.
fn lang_of(plan: &Plan, a: ActionIx) -> String {
    for s in &plan.action(a).steps {
        if let Step::Run(inv) = s {
            if inv.tool == Tool::Compile {
                if let Some(l) = inv.argv.iter().find_map(|x| x.strip_prefix("-lang=go")) {
                    return l.to_string();
                }
            }
        }
    }
    plan.toolchain()
        .version
        .trim_start_matches("go")
        .to_string()
}

fn asm_count(plan: &Plan, a: ActionIx) -> usize {
    plan.action(a)
        .steps
        .iter()
        .filter(|s| matches!(s, Step::Run(inv) if inv.tool == Tool::Asm))
        .count()
}

/// The prefix that turns a package's file names into workspace-relative paths for display.
fn file_prefix(plan: &Plan, pkg: usize) -> String {
    let p = &plan.input().packages[pkg];
    let cwd = plan.input().cwd.trim_end_matches('/');
    match p.dir.strip_prefix(cwd) {
        Some("") => String::new(),
        Some(rest) if rest.starts_with('/') => format!("{}/", &rest[1..]),
        _ => format!("{}/", p.dir),
    }
}

/// Simulated compile of one package, given its dependencies' export data.
fn simulate(
    plan: &Plan,
    a: ActionIx,
    files: &dyn SourceFiles,
    exports: &HashMap<ActionIx, object::ExportData>,
) -> Object {
    let tc = plan.toolchain();
    let x = plan.action(a);
    let p = &plan.input().packages[x.package.expect("build has a package")];
    if p.standard {
        let sizes: Vec<(&str, u64)> = StdLib::for_target(&tc.goos, &tc.goarch, tc.cgo_enabled)
            .and_then(|s| s.get(&p.import_path))
            .map(|sp| {
                sp.go_files
                    .iter()
                    .chain(&sp.cgo_files)
                    .chain(&sp.s_files)
                    .chain(&sp.embed_files)
                    .map(|f| (f.name, f.size))
                    .collect()
            })
            .unwrap_or_default();
        return object::std_object(&tc.version, &p.import_path, &sizes);
    }
    fn read<'a>(
        files: &'a dyn SourceFiles,
        p: &'a crate::plan::PkgNode,
        names: &'a [String],
    ) -> Vec<(&'a str, &'a [u8])> {
        names
            .iter()
            .map(|n| (n.as_str(), files.read(p, n).unwrap_or(&[])))
            .collect()
    }
    let mut go_files = read(files, p, &p.go_files);
    go_files.extend(read(files, p, &p.cgo_files));
    let lang = lang_of(plan, a);
    let deps: Vec<Dep<'_>> = x
        .deps
        .iter()
        .filter_map(|&d| {
            let q = plan.action(d).package?;
            let e = exports.get(&d)?;
            let qp = &plan.input().packages[q];
            Some(Dep {
                import_path: &qp.import_path,
                name: &qp.name,
                export: e,
            })
        })
        .collect();
    object::compile(&object::Source {
        import_path: &p.import_path,
        dir: &p.dir,
        lang: &lang,
        go_files,
        s_files: read(files, p, &p.s_files),
        embed_files: read(files, p, &p.embed_files),
        import_map: p.import_map.clone(),
        deps,
    })
}

fn link_content(inputs: &HashedInputs) -> Digest {
    // The binary is a function of its packages' contents and the link configuration: the
    // link's hashed lines minus the salt and the main package's action ID.
    let mut h = blake3::Hasher::new();
    for l in inputs.lines.iter().skip(1) {
        if let Some(rest) = l.strip_prefix("packagemain ") {
            h.update(rest.rsplit('/').next().unwrap_or("").as_bytes());
        } else {
            h.update(l.as_bytes());
        }
    }
    Digest(*h.finalize().as_bytes())
}

/// Runs the build's cache logic. `target` is the build ID of the binary in place, if any.
pub fn run(
    plan: &Plan,
    files: &dyn SourceFiles,
    cache: &mut dyn Cache,
    prev: &Record,
    target: Option<&str>,
    flags: &Flags,
    now: UnixNanos,
) -> BuildReport {
    walk(plan, files, Store::Run(cache), prev, target, flags, now)
}

/// Predicts the rebuild set for the current files without running anything and without
/// changing the cache: an action runs if its action ID has no usable cache entry (it changed
/// since the last build and the cache does not hold it); a recompiled package's content ID comes
/// from the object model, so dependents are cut off where it is unchanged. `prev` supplies the
/// why-rebuilt diffs.
pub fn predict(
    plan: &Plan,
    files: &dyn SourceFiles,
    cache: &dyn Cache,
    prev: &Record,
    target: Option<&str>,
    flags: &Flags,
) -> BuildReport {
    walk(plan, files, Store::Peek(cache), prev, target, flags, 0)
}

enum Store<'c> {
    Run(&'c mut dyn Cache),
    Peek(&'c dyn Cache),
}

impl Store<'_> {
    fn lookup(&mut self, id: &Digest, now: UnixNanos) -> Result<Vec<u8>, crate::cache::Miss> {
        match self {
            Store::Run(c) => c.get_data(id, now).map(|x| x.1),
            Store::Peek(c) => c.peek_data(id).map(|x| x.1),
        }
    }
    fn put(&mut self, id: &Digest, data: &[u8], now: UnixNanos) {
        if let Store::Run(c) = self {
            c.put(id, data, now);
        }
    }
    fn runs(&self) -> bool {
        matches!(self, Store::Run(_))
    }
}

fn walk(
    plan: &Plan,
    files: &dyn SourceFiles,
    mut cache: Store<'_>,
    prev: &Record,
    target: Option<&str>,
    flags: &Flags,
    now: UnixNanos,
) -> BuildReport {
    let mut order: Vec<ActionIx> = plan.actions().map(|(a, _)| a).collect();
    order.sort_by_key(|&a| plan.action(a).priority);
    let mut ids: HashMap<ActionIx, BuildId> = HashMap::new();
    let mut exports: HashMap<ActionIx, object::ExportData> = HashMap::new();
    let mut report = BuildReport {
        record: prev.clone(),
        target: target.map(str::to_string),
        ..Default::default()
    };
    let target_parts: Vec<String> = target
        .map(|t| t.split('/').map(str::to_string).collect())
        .unwrap_or_default();

    for a in order {
        let x = plan.action(a);
        let Some(pi) = x.package else { continue };
        let p = &plan.input().packages[pi];
        match x.mode {
            Mode::Build => {
                let inputs = {
                    let ids = &ids;
                    actionid::compile_id(plan, a, files, &|d| ids.get(&d).copied(), &flags.ids)
                };
                let key = inputs.key.clone();
                let old = prev.actions.get(&key);
                let changed = || match old {
                    Some(o) if o.inputs.lines != inputs.lines => Some(MissReason::InputsChanged(
                        why::diff(&o.inputs, &inputs, &file_prefix(plan, pi)),
                    )),
                    _ => None,
                };
                // exec.go's main-package pseudo-cache: the binary in place already holds this
                // compile's output, and linking it again would give the same binary.
                let triggers = plan.dependents(a);
                let only_link = triggers.len() == 1 && plan.action(triggers[0]).mode == Mode::Link;
                if !flags.force
                    && only_link
                    && target_parts.len() == 4
                    && target_parts[1] == short(&inputs.id)
                {
                    if let Some(o) = old.filter(|o| {
                        o.compile_id.is_some_and(|b| {
                            short(&b.action) == target_parts[1]
                                && short(&b.content) == target_parts[2]
                        })
                    }) {
                        let bid = o.compile_id.expect("checked");
                        let mut tmp = ids.clone();
                        tmp.insert(a, bid);
                        let link = actionid::link_id(
                            plan,
                            triggers[0],
                            &|d| tmp.get(&d).copied(),
                            &flags.ids,
                        );
                        if short(&link.id) == target_parts[0] {
                            ids.insert(a, bid);
                            report.actions.push(ActionReport {
                                action: a,
                                key,
                                import_path: p.import_path.clone(),
                                mode: x.mode,
                                outcome: Outcome::TargetUpToDate,
                                build_id: bid.render(),
                                inputs,
                                asm_runs: 0,
                            });
                            continue;
                        }
                    }
                }
                let looked_up = if flags.force {
                    Err(MissReason::Forced)
                } else {
                    match cache.lookup(&inputs.id, now) {
                        Ok(data) => match Object::parse(&data) {
                            Some((_, obj)) => Ok(obj),
                            None => Err(MissReason::Corrupt(crate::cache::Miss::DataHash)),
                        },
                        Err(crate::cache::Miss::NoEntry) => {
                            Err(changed().unwrap_or(MissReason::NoEntry))
                        }
                        Err(m) => Err(MissReason::Corrupt(m)),
                    }
                };
                let (outcome, obj) = match looked_up {
                    Ok(obj) => (Outcome::Hit, obj),
                    Err(r) => (Outcome::Miss(r), simulate(plan, a, files, &exports)),
                };
                let bid = BuildId {
                    action: inputs.id,
                    content: obj.content(),
                };
                if outcome.ran() {
                    cache.put(&inputs.id, &obj.to_bytes(&bid.render()), now);
                    cache.put(&actionid::subkey(&inputs.id, "stdout"), b"", now);
                }
                ids.insert(a, bid);
                exports.insert(a, obj.export.clone());
                report.record.actions.insert(
                    key.clone(),
                    ActionRecord {
                        inputs: inputs.clone(),
                        build_id: bid.render(),
                        compile_id: Some(bid),
                        content: bid.content,
                        export: Some(obj.export),
                    },
                );
                report.actions.push(ActionReport {
                    action: a,
                    key,
                    import_path: p.import_path.clone(),
                    mode: x.mode,
                    asm_runs: if outcome.ran() { asm_count(plan, a) } else { 0 },
                    outcome,
                    build_id: bid.render(),
                    inputs,
                });
            }
            Mode::Link => {
                let inputs = {
                    let ids = &ids;
                    actionid::link_id(plan, a, &|d| ids.get(&d).copied(), &flags.ids)
                };
                let key = inputs.key.clone();
                let main = ids.get(&x.deps[0]).copied();
                let content = link_content(&inputs);
                let bid = main.map(|m| LinkBuildId {
                    action: inputs.id,
                    main: m,
                    content,
                });
                let rendered = bid.map(|b| b.render()).unwrap_or_default();
                let in_place =
                    target.is_some_and(|t| t.starts_with(&format!("{}/", short(&inputs.id))));
                let old = prev.actions.get(&key);
                let outcome = if !flags.force && in_place {
                    Outcome::TargetUpToDate
                } else if flags.force {
                    Outcome::Miss(MissReason::Forced)
                } else if flags.cache_link && cache.lookup(&inputs.id, now).is_ok() {
                    Outcome::Hit
                } else {
                    Outcome::Miss(match old {
                        Some(o) if o.inputs.lines != inputs.lines => {
                            MissReason::InputsChanged(why::diff(&o.inputs, &inputs, ""))
                        }
                        Some(_) if target.is_none() => MissReason::TargetMissing,
                        _ if target.is_none() => MissReason::TargetMissing,
                        _ => MissReason::LinkNotCached,
                    })
                };
                if outcome.ran() {
                    if flags.cache_link {
                        cache.put(
                            &inputs.id,
                            format!("buildlab-binary 1\nbuildid {rendered}\n").as_bytes(),
                            now,
                        );
                    }
                    if cache.runs() {
                        report.target = Some(rendered.clone());
                    }
                }
                report.record.actions.insert(
                    key.clone(),
                    ActionRecord {
                        inputs: inputs.clone(),
                        build_id: rendered.clone(),
                        compile_id: None,
                        content,
                        export: None,
                    },
                );
                report.actions.push(ActionReport {
                    action: a,
                    key,
                    import_path: p.import_path.clone(),
                    mode: x.mode,
                    outcome,
                    inputs,
                    build_id: rendered,
                    asm_runs: 0,
                });
            }
            _ => {}
        }
    }
    report
}
