//! `//go:embed` pattern resolution, as cmd/go's `resolveEmbed`: each pattern is a glob over the
//! package directory's path elements (`path.Match` per element); a matched directory embeds its
//! files recursively, leaving out names starting with `.` or `_` unless the pattern has the `all:`
//! prefix, and never entering a directory that holds a `go.mod` (another module).

use super::Tree;

/// The files each pattern matched (relative to the package directory, sorted) and all of them.
/// Both sorted vectors, not B-trees: a package has a few patterns, and map types of their own
/// would add their code to the page's wasm.
pub(crate) type Resolved = (Vec<String>, Vec<(String, Vec<String>)>);

/// An embed error: the pattern it is about and go's message (`no matching files found`).
#[derive(Debug)]
pub(crate) struct EmbedError {
    pub pattern: String,
    pub msg: String,
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}/{b}")
    }
}

/// Resolves `patterns` (sorted, unique, as go/build lists them) in the workspace directory `dir`.
pub(crate) fn resolve(tree: &Tree, dir: &str, patterns: &[String]) -> Result<Resolved, EmbedError> {
    let mut have: Vec<String> = Vec::new();
    // In the patterns' order, which is sorted.
    let mut pmap: Vec<(String, Vec<String>)> = Vec::with_capacity(patterns.len());
    for pattern in patterns {
        let err = |msg: String| EmbedError {
            pattern: pattern.clone(),
            msg,
        };
        let all = pattern.starts_with("all:");
        let glob = pattern.strip_prefix("all:").unwrap_or(pattern);
        if match_elem(glob, "").is_err() || !valid_pattern(glob) {
            return Err(err("invalid pattern syntax".into()));
        }
        let mut list: Vec<String> = Vec::new();
        for rel in glob_in(tree, dir, glob) {
            let full = join(dir, &rel);
            let is_dir = tree.is_dir(&full);
            let what = if is_dir { "directory" } else { "file" };
            // Every directory from the match up to the package directory: not another module,
            // not a bad name.
            let elems: Vec<&str> = rel.split('/').collect();
            for n in (1..=elems.len()).rev() {
                let sub = elems[..n].join("/");
                if tree.is_file(&join(&join(dir, &sub), "go.mod")) {
                    return Err(err(format!(
                        "cannot embed {what} {rel}: in different module"
                    )));
                }
                let elem = elems[n - 1];
                if bad_name(elem) {
                    return Err(err(if n == elems.len() {
                        format!("cannot embed {what} {rel}: invalid name {elem}")
                    } else {
                        format!("cannot embed {what} {rel}: in invalid directory {elem}")
                    }));
                }
            }
            if !is_dir {
                if !list.contains(&rel) {
                    list.push(rel.clone());
                }
                continue;
            }
            let mut count = 0;
            walk(tree, dir, &rel, all, &mut |f| {
                count += 1;
                if !list.contains(&f) {
                    list.push(f);
                }
            });
            if count == 0 {
                return Err(err(format!(
                    "cannot embed directory {rel}: contains no embeddable files"
                )));
            }
        }
        if list.is_empty() {
            return Err(err("no matching files found".into()));
        }
        crate::sort::sort(&mut list);
        have.extend(list.iter().cloned());
        pmap.push((pattern.clone(), list));
    }
    crate::sort::sort(&mut have);
    have.dedup();
    Ok((have, pmap))
}

/// The last element of a slash path.
fn base_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, n)| n)
}

/// The files under `rel` (a directory relative to `pkg`), as go's walk visits them.
fn walk(tree: &Tree, pkg: &str, rel: &str, all: bool, out: &mut dyn FnMut(String)) {
    let full = join(pkg, rel);
    let Some(entries) = tree.entries(&full) else {
        return;
    };
    // fsys.Walk visits entries in name order, files and directories interleaved.
    let mut names: Vec<(&str, bool)> = tree
        .files(entries)
        .iter()
        .map(|(f, _)| (*f, false))
        .chain(entries.dirs.iter().map(|(d, _)| (base_name(d), true)))
        .collect();
    crate::sort::sort(&mut names);
    for (name, is_dir) in names {
        if bad_name(name) || ((name.starts_with('.') || name.starts_with('_')) && !all) {
            continue;
        }
        let r = join(rel, name);
        if is_dir {
            if tree.is_file(&join(&join(pkg, &r), "go.mod")) {
                continue;
            }
            walk(tree, pkg, &r, all, out);
        } else {
            out(r);
        }
    }
}

/// `filepath.Glob(pkgdir + "/" + glob)`, as paths relative to `pkg`.
fn glob_in(tree: &Tree, pkg: &str, glob: &str) -> Vec<String> {
    let mut cur: Vec<String> = vec![String::new()];
    let elems: Vec<&str> = glob.split('/').collect();
    for (i, elem) in elems.iter().enumerate() {
        let last = i + 1 == elems.len();
        let mut next = Vec::new();
        for base in &cur {
            let full = join(pkg, base);
            let Some(entries) = tree.entries(&full) else {
                continue;
            };
            let mut names: Vec<(&str, bool)> = tree
                .files(entries)
                .iter()
                .map(|(f, _)| (*f, false))
                .chain(entries.dirs.iter().map(|(d, _)| (base_name(d), true)))
                .collect();
            crate::sort::sort(&mut names);
            for (name, is_dir) in names {
                if !last && !is_dir {
                    continue;
                }
                if match_elem(elem, name) == Ok(true) {
                    next.push(join(base, name));
                }
            }
        }
        cur = next;
    }
    cur
}

fn valid_pattern(p: &str) -> bool {
    p != "." && !p.is_empty() && p.split('/').all(|e| !e.is_empty() && e != "." && e != "..")
}

/// `isBadEmbedName`: what `module.CheckFilePath` rejects, and version-control directories.
fn bad_name(name: &str) -> bool {
    if matches!(name, "" | ".bzr" | ".hg" | ".git" | ".svn" | "." | "..") {
        return true;
    }
    if name.ends_with('.') {
        return true;
    }
    let ok = |c: char| {
        if c.is_ascii() {
            c.is_ascii_alphanumeric() || "!#$%&()+,-.=@[]^_{}~ ".contains(c)
        } else {
            c.is_alphabetic()
        }
    };
    if !name.chars().all(ok) {
        return true;
    }
    let short = name.split('.').next().unwrap_or("").to_ascii_uppercase();
    const RESERVED: [&str; 22] = [
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
        "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];
    RESERVED.contains(&short.as_str())
}

/// Go's `path.Match` for one element (no `/` in `name`). `Err` is `ErrBadPattern`.
pub(crate) fn match_elem(pattern: &str, name: &str) -> Result<bool, ()> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Validate the whole pattern first, as Go reports bad patterns even when a prefix fails.
    validate(&p)?;
    Ok(match_from(&p, &n))
}

fn validate(p: &[char]) -> Result<(), ()> {
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' => {
                if i + 1 >= p.len() {
                    return Err(());
                }
                i += 2;
            }
            '[' => {
                i += 1;
                if i < p.len() && p[i] == '^' {
                    i += 1;
                }
                let mut first = true;
                loop {
                    if i >= p.len() {
                        return Err(());
                    }
                    if p[i] == ']' && !first {
                        i += 1;
                        break;
                    }
                    first = false;
                    let lo = class_char(p, &mut i)?;
                    if i < p.len() && p[i] == '-' {
                        i += 1;
                        let hi = class_char(p, &mut i)?;
                        if hi < lo {
                            return Err(());
                        }
                    }
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

fn class_char(p: &[char], i: &mut usize) -> Result<char, ()> {
    if *i >= p.len() || p[*i] == '-' || p[*i] == ']' {
        return Err(());
    }
    let mut c = p[*i];
    if c == '\\' {
        *i += 1;
        if *i >= p.len() {
            return Err(());
        }
        c = p[*i];
    }
    *i += 1;
    Ok(c)
}

fn match_from(p: &[char], n: &[char]) -> bool {
    if p.is_empty() {
        return n.is_empty();
    }
    match p[0] {
        '*' => (0..=n.len()).any(|k| !n[..k].contains(&'/') && match_from(&p[1..], &n[k..])),
        '?' => !n.is_empty() && n[0] != '/' && match_from(&p[1..], &n[1..]),
        '\\' => !n.is_empty() && p.len() > 1 && n[0] == p[1] && match_from(&p[2..], &n[1..]),
        '[' => {
            if n.is_empty() || n[0] == '/' {
                return false;
            }
            let c = n[0];
            let mut i = 1;
            let negate = i < p.len() && p[i] == '^';
            if negate {
                i += 1;
            }
            let mut matched = false;
            let mut first = true;
            while i < p.len() && (p[i] != ']' || first) {
                first = false;
                let Ok(lo) = class_char(p, &mut i) else {
                    return false;
                };
                let mut hi = lo;
                if i < p.len() && p[i] == '-' {
                    i += 1;
                    let Ok(h) = class_char(p, &mut i) else {
                        return false;
                    };
                    hi = h;
                }
                if lo <= c && c <= hi {
                    matched = true;
                }
            }
            if i >= p.len() {
                return false;
            }
            matched != negate && match_from(&p[i + 1..], &n[1..])
        }
        ch => !n.is_empty() && n[0] == ch && match_from(&p[1..], &n[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_embed_glob_matches_like_path_match() {
        assert_eq!(match_elem("*.html", "index.html"), Ok(true));
        assert_eq!(match_elem("*.html", "notes.txt"), Ok(false));
        assert_eq!(match_elem("*", ".hidden"), Ok(true));
        assert_eq!(match_elem("[a-c]?", "bz"), Ok(true));
        assert_eq!(match_elem("[^a-c]?", "bz"), Ok(false));
        assert_eq!(match_elem("a[", "a"), Err(()));
        assert_eq!(match_elem("\\*", "*"), Ok(true));
    }
}
