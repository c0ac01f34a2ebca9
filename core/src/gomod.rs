//! `go.mod` parsing. (Skeleton: only the `module` line; the full parser replaces this.)

/// A parsed `go.mod` file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GoMod {
    /// The module path from the `module` directive.
    pub module: Option<String>,
}

/// A `go.mod` error, rendered in the go command's words (`go.mod:5: unknown directive: foo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModError {
    pub file: String,
    pub line: usize,
    pub msg: String,
}

impl std::fmt::Display for ModError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.msg)
    }
}

impl GoMod {
    pub fn module_path(&self) -> Option<&str> {
        self.module.as_deref()
    }
}

/// Parses `data` as the `go.mod` named `file` (the name appears in errors).
pub fn parse(file: &str, data: &[u8]) -> Result<GoMod, ModError> {
    let text = String::from_utf8_lossy(data);
    for (i, line) in text.lines().enumerate() {
        let line = line.split("//").next().unwrap_or("").trim();
        if let Some(rest) = line.strip_prefix("module") {
            let path = rest.trim().trim_matches('"');
            if path.is_empty() {
                return Err(ModError { file: file.into(), line: i + 1, msg: "usage: module module/path".into() });
            }
            return Ok(GoMod { module: Some(path.to_string()) });
        }
    }
    Ok(GoMod { module: None })
}
