//! Tool descriptions: summary, description (kept verbatim, including AI hints), the request
//! body's own description and deprecation, without saying the same sentence twice. Tags are
//! not repeated here: they are the tool's `tags` (and the server's `_meta.tags`).

/// Builds the description of one operation. `body` is the description of a request body whose
/// members became the tool's arguments (the object itself has no argument to carry it).
pub(crate) fn describe(
    summary: Option<&str>,
    description: Option<&str>,
    body: Option<&str>,
    deprecated: bool,
    fallback: &str,
) -> String {
    let mut parts: Vec<String> = Vec::new();
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    if let Some(summary) = summary.map(str::trim).filter(|s| !s.is_empty()) {
        let already = description.is_some_and(|d| contains_sentence(d, summary));
        if !already {
            parts.push(with_period(summary));
        }
    }
    if let Some(description) = description {
        // Only a line that repeats the summary goes: any other line is the document's own
        // text, code blocks included (their fences and lines legitimately repeat).
        let mut kept: Vec<&str> = Vec::new();
        let mut in_code = false;
        for line in description.lines() {
            let t = line.trim();
            if t.starts_with("```") || t.starts_with("~~~") {
                in_code = !in_code;
            }
            let repeats_summary =
                !in_code && !t.is_empty() && parts.iter().any(|p| same_sentence(p, t));
            if !repeats_summary {
                kept.push(line);
            }
        }
        let text = kept.join("\n").trim().to_owned();
        if !text.is_empty() {
            parts.push(text);
        }
    }
    if parts.is_empty() {
        parts.push(with_period(fallback));
    }
    if let Some(body) = body.map(str::trim).filter(|b| !b.is_empty()) {
        let said = parts.iter().any(|p| contains_sentence(p, body));
        if !said {
            parts.push(format!("Body: {}", with_period(body)));
        }
    }
    if deprecated {
        parts.push("Deprecated: avoid this operation unless nothing else works.".to_owned());
    }
    parts.join("\n\n")
}

fn with_period(s: &str) -> String {
    if s.ends_with(['.', '!', '?', ':']) {
        s.to_owned()
    } else {
        format!("{s}.")
    }
}

fn normalise(s: &str) -> String {
    s.trim()
        .trim_end_matches(['.', '!', '?', ':'])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn same_sentence(a: &str, b: &str) -> bool {
    normalise(a) == normalise(b)
}

/// `true` when `text` already says `sentence` (ignoring case, spacing and final punctuation).
fn contains_sentence(text: &str, sentence: &str) -> bool {
    let needle = normalise(sentence);
    !needle.is_empty() && normalise(text).contains(&needle)
}
