//! Small text helpers for messages: "did you mean" distances, escaping control
//! characters from names and server messages so they cannot move the cursor or recolour
//! the terminal, and what a line is.
//!
//! A line ends at LF, at CRLF, or at a CR alone, as libpq counts lines when it points at
//! an error in a query (PostgreSQL's lexer treats a lone CR as a line end too: it ends a
//! `--` comment). Every location neonlint prints counts lines this way.

/// Levenshtein distance between two strings, in characters.
pub fn edit_distance(left: &str, right: &str) -> usize {
    let right: Vec<char> = right.chars().collect();
    let mut previous: Vec<usize> = (0..=right.len()).collect();
    for (i, left_char) in left.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, right_char) in right.iter().enumerate() {
            let substitution = previous[j] + usize::from(left_char != *right_char);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[right.len()]
}

/// `text` with every control character written as `\u{…}`.
pub fn escape_control(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() })
        .collect()
}

/// The offsets where lines start: 0, and after each LF, each CRLF and each lone CR.
pub fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for (index, &byte) in bytes.iter().enumerate() {
        let ends_line = byte == b'\n' || (byte == b'\r' && bytes.get(index + 1) != Some(&b'\n'));
        if ends_line {
            starts.push(index + 1);
        }
    }
    starts
}

/// The end of the line that holds `offset`: the offset of its line break, or the text's end.
pub fn line_end(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .get(offset..)
        .and_then(|rest| rest.iter().position(|&byte| byte == b'\n' || byte == b'\r'))
        .map_or(text.len(), |position| offset + position)
}

/// The 1-based line and column (in characters) just after `prefix`.
pub fn line_and_column(prefix: &str) -> (u32, u32) {
    let starts = line_starts(prefix);
    let last = starts.last().copied().unwrap_or(0);
    (starts.len() as u32, prefix[last..].chars().count() as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("rls-disable", "rls-disabled"), 1);
        assert_eq!(edit_distance("sslmod", "sslmode"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_control("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(escape_control("line\nbreak"), "line\\u{a}break");
        assert_eq!(escape_control("plain é"), "plain é");
    }

    #[test]
    fn lines_end_at_lf_crlf_and_lone_cr() {
        assert_eq!(line_starts("a\nb\r\nc\rd"), vec![0, 2, 5, 7]);
        assert_eq!(line_starts("\r\r\n"), vec![0, 1, 3]);
        assert_eq!(line_and_column("ab\r\ncé\rxy"), (3, 3));
        assert_eq!(line_end("ab\r\ncd", 0), 2);
        assert_eq!(line_end("ab\rcd", 3), 5);
    }
}
