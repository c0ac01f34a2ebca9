//! JSON text as Go's `encoding/json` writes it, for the files cmd/go writes with
//! `json.MarshalIndent(v, "", "\t")`: the `embedcfg` a package with `//go:embed` is compiled with
//! (shown by `-x` / `-n` and kept under `-work`) and `-debug-actiongraph`.
//!
//! Go's strings are not serde_json's: `json.Marshal` escapes HTML's `<`, `>` and `&` (as
//! `\u003c`, `\u003e`, `\u0026`) and the line and paragraph separators U+2028 / U+2029, and
//! since go1.22 writes backspace and form feed as `\b` and `\f`; other control characters are
//! `\u00XX`. A file `a&b.txt` embedded by go 1.23 is `"a\u0026b.txt"` in its embedcfg, and
//! every `-trimpath "$WORK/b001=>"` in an action graph's commands reads `=\u003e`.

/// Appends `s` as a JSON string, quoted and escaped as Go's `json.Marshal` does.
pub fn push_string(out: &mut String, s: &str) {
    out.push('"');
    push_escaped(out, s);
    out.push('"');
}

/// Appends the inside of `s`'s JSON string (no quotes), escaped as Go's `json.Marshal` does.
pub fn push_escaped(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let short = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if c < ' ' || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        start = i + c.len_utf8();
        if !short.is_empty() {
            out.push_str(short);
            continue;
        }
        let n = c as u32;
        out.push_str("\\u");
        for shift in [12, 8, 4, 0] {
            out.push(HEX[(n >> shift) as usize & 0xf] as char);
        }
    }
    out.push_str(&s[start..]);
}

/// `json.MarshalIndent(v, "", "\t")` of a `map[string]V`, sorted by key as Go sorts maps:
/// `pairs` must be sorted and unique (the caller's order is written). `value` writes one value
/// at the given depth. An empty map is `{}`, as Go writes it.
pub fn push_object<K: AsRef<str>, T>(
    out: &mut String,
    depth: usize,
    pairs: &[(K, T)],
    mut value: impl FnMut(&mut String, usize, &T),
) {
    push_seq(out, depth, ('{', '}'), pairs, |out, (k, v)| {
        push_string(out, k.as_ref());
        out.push_str(": ");
        value(out, depth + 1, v);
    });
}

/// `json.MarshalIndent(v, "", "\t")` of a non-nil `[]string` at `depth`: `[]` when empty.
pub fn push_strings<S: AsRef<str>>(out: &mut String, depth: usize, items: &[S]) {
    push_seq(out, depth, ('[', ']'), items, |out, s| {
        push_string(out, s.as_ref())
    });
}

/// An object's or array's items at `depth`, each on its own line one tab deeper; empty, the
/// brackets alone.
fn push_seq<T>(
    out: &mut String,
    depth: usize,
    (open, close): (char, char),
    items: &[T],
    mut item: impl FnMut(&mut String, &T),
) {
    out.push(open);
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        newline(out, depth + 1);
        item(out, x);
    }
    if !items.is_empty() {
        newline(out, depth);
    }
    out.push(close);
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push('\t');
    }
}

/// `json.MarshalIndent(v, "", "\t")` of a serializable value: serde_json's pretty printer with
/// a tab indent, its text made Go's ([`html_escaped`]); fields in serde's order (the Go
/// struct's), maps sorted by the caller.
pub fn marshal_indent<T: serde::Serialize>(v: &T) -> String {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    // A plain panic, not `expect`: `expect` would keep serde_json's error `Debug` (and std's
    // I/O error texts) in the wasm for a failure that cannot happen.
    if v.serialize(&mut ser).is_err() {
        panic!("serializing plain data cannot fail");
    }
    html_escaped(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

/// serde_json's text of a value made Go's: `<`, `>`, `&`, U+2028 and U+2029 escaped as
/// `json.Marshal` escapes them. serde_json already escapes the rest as go1.22+ does (`\b`, `\f`,
/// `\u00XX`), and none of these characters can stand outside a string in JSON text, so escaping
/// them wherever they are is escaping them in the strings.
pub fn html_escaped(json: String) -> String {
    if !json.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    let mut start = 0;
    for (i, c) in json.char_indices() {
        if matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') {
            out.push_str(&json[start..i]);
            push_escaped(&mut out, &json[i..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    out.push_str(&json[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(s: &str) -> String {
        let mut out = String::new();
        push_string(&mut out, s);
        out
    }

    /// go 1.23's `json.Marshal` of each string (printed by a Go program with the real toolchain).
    #[test]
    fn strings_are_escaped_as_go_escapes_them() {
        assert_eq!(quoted("a&b.txt"), r#""a\u0026b.txt""#);
        assert_eq!(quoted("<x>"), r#""\u003cx\u003e""#);
        assert_eq!(quoted("q\"u\\"), r#""q\"u\\""#);
        assert_eq!(quoted("\u{8}\u{c}\n\r\t"), r#""\b\f\n\r\t""#);
        assert_eq!(quoted("\u{1}\u{1f}\u{7f}"), "\"\\u0001\\u001f\u{7f}\"");
        assert_eq!(quoted("\u{2028}ü\u{2029}"), r#""\u2028ü\u2029""#);
        assert_eq!(quoted("$SRC/q$u=~x.txt"), r#""$SRC/q$u=~x.txt""#);
    }

    #[test]
    fn serde_json_text_is_made_go_text() {
        let v = serde_json::json!({"Cmd": ["-trimpath \"$WORK/b001=>\"", "a&b<c"]});
        let go = html_escaped(serde_json::to_string(&v).unwrap());
        assert_eq!(
            go,
            r#"{"Cmd":["-trimpath \"$WORK/b001=\u003e\"","a\u0026b\u003cc"]}"#
        );
        assert_eq!(html_escaped("[1]".into()), "[1]");
    }

    #[test]
    fn indented_maps_and_lists_are_laid_out_as_marshal_indent() {
        let mut out = String::new();
        let pairs = [("a", vec!["x", "y"]), ("b", vec![])];
        push_object(&mut out, 0, &pairs, |o, d, v| push_strings(o, d, v));
        assert_eq!(
            out,
            "{\n\t\"a\": [\n\t\t\"x\",\n\t\t\"y\"\n\t],\n\t\"b\": []\n}"
        );
        let mut empty = String::new();
        push_object(&mut empty, 1, &[] as &[(&str, ())], |_, _, _| {});
        assert_eq!(empty, "{}");
    }
}
