//! Small text helpers for messages: the last lines of some output, one-line summaries.

/// The last `lines` lines of `text`.
pub(crate) fn last_lines(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    all.get(start..).unwrap_or_default().join("\n")
}

/// `text` with every run of whitespace (newlines included) collapsed to one space.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_lines_cases() {
        let cases = [
            ("a\nb\nc\n", 2, "b\nc"),
            ("a\nb", 5, "a\nb"),
            ("", 3, ""),
            ("a\nb", 0, ""),
        ];
        for (text, lines, expected) in cases {
            assert_eq!(last_lines(text, lines), expected, "{text:?} {lines}");
        }
    }

    #[test]
    fn one_line_cases() {
        let cases = [("a\n  b\tc ", "a b c"), ("", ""), ("x", "x")];
        for (text, expected) in cases {
            assert_eq!(one_line(text), expected, "{text:?}");
        }
    }
}
