//! Go source file header scanning: package clause, imports, build constraints, `//go:embed`.
//! (Placeholder: filled in by the loader work.)
