//! Version text in YAML files, byte-exact like JSON: the scalar at a dotted key of block
//! mappings (`version: 4.3.4`, `package: {…}` not followed), or the first item of the list
//! there (`versions:` followed by `- 4.3.4` lines, or `[4.3.4, 4.3.3]`), and the text that puts
//! a new version before that item. The subset of YAML metadata files use: block mappings by
//! indentation, plain or quoted scalars, `#` comments; anchors, multi-document files and flow
//! mappings are not read. Pure.

use std::ops::Range;

/// The byte range of the version at the dotted `key`: the scalar, or the first list item.
pub fn locate(text: &str, key: &str) -> Vec<Range<usize>> {
    let wanted: Vec<&str> = key.split('.').collect();
    // Open mapping keys, with their indentation.
    let mut path: Vec<(usize, String)> = Vec::new();
    let lines = lines_with_offsets(text);
    for (n, (start, line)) in lines.iter().enumerate() {
        let content = without_comment(line);
        if content.trim().is_empty() || content.trim_start().starts_with('-') || content.starts_with("---") {
            continue;
        }
        let indent = content.len() - content.trim_start().len();
        let Some((name, rest)) = mapping_entry(content.trim_start()) else {
            continue;
        };
        while path.last().is_some_and(|(i, _)| *i >= indent) {
            path.pop();
        }
        path.push((indent, name.to_string()));
        if path.len() != wanted.len() || !path.iter().zip(&wanted).all(|((_, k), w)| k == w) {
            continue;
        }
        let value_at = start + content.len() - rest.len();
        let value = rest.trim_start();
        let value_at = value_at + (rest.len() - value.len());
        if let Some(inner) = value.strip_prefix('[') {
            // A flow list: its first item.
            let item = inner.split([',', ']']).next().unwrap_or("");
            let lead = item.len() - item.trim_start().len();
            return scalar(value_at + 1 + lead, item.trim()).into_iter().collect();
        }
        if !value.is_empty() {
            return scalar(value_at, value.trim_end()).into_iter().collect();
        }
        // A block list on the following lines: its first item.
        for (item_start, item_line) in &lines[n + 1..] {
            let item = without_comment(item_line);
            if item.trim().is_empty() {
                continue;
            }
            let item_indent = item.len() - item.trim_start().len();
            let Some(after_dash) = item.trim_start().strip_prefix('-') else {
                return Vec::new();
            };
            if item_indent < indent {
                return Vec::new();
            }
            let value = after_dash.trim_start();
            let at = item_start + item.len() - value.len();
            return scalar(at, value.trim_end()).into_iter().collect();
        }
        return Vec::new();
    }
    Vec::new()
}

/// The text that replaces the list item at `range` of `text` so that `new` stands before it,
/// in the list's own style: a line `<indent>- new` (quoted as the item is) before a block
/// item, `new, ` before a flow item.
pub fn prepend(text: &str, range: Range<usize>, new: &str) -> String {
    let old = &text[range.clone()];
    let quote = match text[..range.start].chars().next_back() {
        Some(q @ ('"' | '\'')) => q.to_string(),
        _ => String::new(),
    };
    let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..range.start];
    if prefix.trim_start().starts_with('-') {
        let newline = if text[..line_start].ends_with("\r\n") {
            "\r\n"
        } else {
            "\n"
        };
        format!("{new}{quote}{newline}{prefix}{old}")
    } else {
        format!("{new}{quote}, {quote}{old}")
    }
}

/// The keys of the top-level block mapping, in order.
pub fn top_level_keys(text: &str) -> Vec<String> {
    lines_with_offsets(text)
        .into_iter()
        .map(|(_, line)| without_comment(line))
        .filter(|line| !line.starts_with([' ', '\t', '-', '#']) && !line.starts_with("---"))
        .filter_map(|line| mapping_entry(line).map(|(key, _)| key.to_string()))
        .collect()
}

/// Whether the value at `range` is an item of a list (block or flow), not a scalar.
pub fn is_list_item(text: &str, range: Range<usize>) -> bool {
    let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let prefix = text[line_start..range.start].trim_start();
    prefix.starts_with('-') || prefix.contains('[')
}

/// Each line (without its line break) with its byte offset.
fn lines_with_offsets(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        out.push((start, line.trim_end_matches(['\n', '\r'])));
        start += line.len();
    }
    out
}

/// `line` up to a comment (`#` at the start or after a space, outside quotes).
fn without_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if previous == ' ' || previous == '\t' => return &line[..i],
            _ => {}
        }
        previous = c;
    }
    line
}

/// `key: rest` of a block mapping line (the key plain or quoted), if it is one.
fn mapping_entry(line: &str) -> Option<(&str, &str)> {
    let (key, rest) = match line.chars().next()? {
        q @ ('"' | '\'') => {
            let end = line[1..].find(q)? + 1;
            let rest = line[end + 1..].strip_prefix(':')?;
            (&line[1..end], rest)
        }
        _ => {
            let colon = line.find(": ").or_else(|| line.strip_suffix(':').map(|k| k.len()))?;
            (line[..colon].trim_end(), &line[colon + 1..])
        }
    };
    (rest.is_empty() || rest.starts_with([' ', '\t'])).then_some((key, rest))
}

/// The range of a scalar's text at `at` (inside its quotes, when quoted).
fn scalar(at: usize, value: &str) -> Option<Range<usize>> {
    let inner = match value.chars().next()? {
        q @ ('"' | '\'') => value[1..].strip_suffix(q)?,
        _ => value,
    };
    let offset = if inner.len() < value.len() { 1 } else { 0 };
    (!inner.is_empty()).then(|| at + offset..at + offset + inner.len())
}

#[cfg(test)]
mod tests {
    fn values(text: &str, key: &str) -> Vec<String> {
        super::locate(text, key)
            .into_iter()
            .map(|r| text[r].to_string())
            .collect()
    }

    #[test]
    fn scalars_and_first_items_at_dotted_keys() {
        let text = "# provider\npackage-name: host-providers-sqlite\nversion: '4.3.4'  # pinned\n\
                    meta:\n  version: \"1.0\"\n  other: x\nversions:\n  # newest first\n  - 4.3.4\n  - 4.3.3\n\
                    flow: [\"2.0\", 1.9]\nbare:\n- 7.0\n";
        assert_eq!(values(text, "version"), ["4.3.4"]);
        assert_eq!(values(text, "meta.version"), ["1.0"]);
        assert_eq!(values(text, "versions"), ["4.3.4"]);
        assert_eq!(values(text, "flow"), ["2.0"]);
        assert_eq!(values(text, "bare"), ["7.0"]);
        assert!(values(text, "meta.missing").is_empty());
        assert!(
            values(text, "other").is_empty(),
            "only top-level keys match a one-word key"
        );
    }

    #[test]
    fn a_new_version_goes_before_the_first_item_in_the_list_s_style() {
        let stamp = |text: &str, new: &str| {
            let r = super::locate(text, "versions")[0].clone();
            format!(
                "{}{}{}",
                &text[..r.start],
                super::prepend(text, r.clone(), new),
                &text[r.end..]
            )
        };
        assert_eq!(
            stamp("name: x\nversions:\n  - 4.3.4\n  - 4.3.3\n", "4.3.5"),
            "name: x\nversions:\n  - 4.3.5\n  - 4.3.4\n  - 4.3.3\n"
        );
        assert_eq!(
            stamp("versions:\r\n- \"4.3.4\"\r\n", "4.3.5"),
            "versions:\r\n- \"4.3.5\"\r\n- \"4.3.4\"\r\n"
        );
        assert_eq!(
            stamp("versions: ['2.0', '1.9']\n", "2.1"),
            "versions: ['2.1', '2.0', '1.9']\n"
        );
    }
}
