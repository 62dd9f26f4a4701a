//! The comment lines that split one file into the part that runs when migrating up and the
//! part that does not: dbmate's `-- migrate:up` / `-- migrate:down`, goose's `-- +goose Up` /
//! `-- +goose Down`, and liquibase's `--changeset` / `--rollback` (in `layouts/liquibase.rs`).
//!
//! This is the only SQL `source` knows: comment lines. Blanking keeps every byte offset and
//! newline, so positions the later stages compute in the returned text are positions in the
//! file. It does not parse SQL or the marker options (`transaction:false`, `NO TRANSACTION`,
//! `StatementBegin`: goose's statement bounds are comments, and the splitter finds the same
//! statements without them).

use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

/// How much of a file detection reads when looking for `-- migrate:up`.
const MARKER_SEARCH_LIMIT: u64 = 64 * 1024;

const UP_MARKER: &[u8] = b"migrate:up";
const DOWN_MARKER: &[u8] = b"migrate:down";
/// What every goose annotation line holds.
const GOOSE_WORD: &[u8] = b"+goose";

/// Which tool's markers a file carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Markers {
    /// `-- migrate:up` / `-- migrate:down`.
    Dbmate,
    /// `-- +goose Up` / `-- +goose Down`.
    Goose,
}

impl Markers {
    /// How messages show the up marker.
    pub fn up_marker(self) -> &'static str {
        match self {
            Markers::Dbmate => "-- migrate:up",
            Markers::Goose => "-- +goose Up",
        }
    }
}

/// Keeps the up part of a file with `markers`; see `keep_up_half`.
pub fn keep_up_part(markers: Markers, text: &str) -> Cow<'_, str> {
    match markers {
        Markers::Dbmate => keep_up_half(text),
        Markers::Goose => {
            keep_between(text, |line| is_goose_line(line, b"up"), |line| is_goose_line(line, b"down"))
        }
    }
}

/// The markers a text carries: the first up marker line of either tool, if any.
pub fn markers_in(text: &[u8]) -> Option<Markers> {
    // Most files carry neither marker: a substring search over the whole text rules both out
    // far faster than looking at each line (detection reads every file of a folder).
    let may_carry = |word: &[u8]| memchr::memmem::find(text, word).is_some();
    if !may_carry(UP_MARKER) && !may_carry(GOOSE_WORD) {
        return None;
    }
    lines(text).find_map(|line| {
        if is_marker_line(line.text, UP_MARKER) {
            Some(Markers::Dbmate)
        } else if is_goose_line(line.text, b"up") {
            Some(Markers::Goose)
        } else {
            None
        }
    })
}

/// `file_markers` of each path, in order, read in parallel.
pub fn files_markers(paths: &[PathBuf]) -> Vec<Option<Markers>> {
    paths.par_iter().map(|path| file_markers(path)).collect()
}

/// The markers in the first 64 KiB of the file at `path`; unreadable files have none.
pub fn file_markers(path: &Path) -> Option<Markers> {
    markers_in(&read_head(path)?)
}

/// The first 64 KiB of the file at `path`, where detection looks for markers; `None` when it
/// cannot be read.
pub fn read_head(path: &Path) -> Option<Vec<u8>> {
    let file = std::fs::File::open(path).ok()?;
    // Sized from the file's length, so that most files take one read and no regrowth.
    let expected = file.metadata().map_or(0, |metadata| metadata.len().min(MARKER_SEARCH_LIMIT));
    let mut head = Vec::with_capacity(expected as usize + 1);
    file.take(MARKER_SEARCH_LIMIT).read_to_end(&mut head).ok()?;
    Some(head)
}

/// Keeps what dbmate runs when migrating up: the lines after the first `-- migrate:up` line
/// and before the next `-- migrate:down` line. Everything else, the marker lines included,
/// becomes spaces, except `\n` and `\r`, so the text keeps its byte length and line breaks. A
/// text without an up marker comes back whole, untouched.
pub fn keep_up_half(text: &str) -> Cow<'_, str> {
    keep_between(text, |line| is_marker_line(line, UP_MARKER), |line| is_marker_line(line, DOWN_MARKER))
}

/// Keeps the lines after the first line `is_up` accepts and before the next line `is_down`
/// accepts, blanking the rest as `keep_up_half` describes.
fn keep_between(text: &str, is_up: impl Fn(&[u8]) -> bool, is_down: impl Fn(&[u8]) -> bool) -> Cow<'_, str> {
    let Some((keep_start, keep_end)) = up_range(text.as_bytes(), is_up, is_down) else {
        return Cow::Borrowed(text);
    };
    let (Some(before), Some(kept), Some(after)) =
        (text.get(..keep_start), text.get(keep_start..keep_end), text.get(keep_end..))
    else {
        // The range always falls on line starts, hence on character boundaries; should it
        // not, the whole text is better than a panic.
        return Cow::Borrowed(text);
    };
    let mut up_half = String::with_capacity(text.len());
    push_blanked(&mut up_half, before);
    up_half.push_str(kept);
    push_blanked(&mut up_half, after);
    Cow::Owned(up_half)
}

/// Whether the start of the file at `path` has a line starting with `-- migrate:up`. Reads at
/// most 64 KiB; unreadable files and bytes that are not UTF-8 simply count as "no marker".
#[cfg(test)]
fn file_has_up_marker(path: &Path) -> bool {
    file_markers(path) == Some(Markers::Dbmate)
}

/// One line of a text: its start offset, its bytes without `\n`, and where the next begins.
struct Line<'text> {
    start: usize,
    text: &'text [u8],
    next_start: usize,
}

fn up_range(
    bytes: &[u8],
    is_up: impl Fn(&[u8]) -> bool,
    is_down: impl Fn(&[u8]) -> bool,
) -> Option<(usize, usize)> {
    let mut lines = lines(bytes);
    let keep_start = lines.find(|line| is_up(line.text))?.next_start;
    let keep_end = lines.find(|line| is_down(line.text)).map_or(bytes.len(), |line| line.start);
    Some((keep_start, keep_end))
}

/// goose's annotation lines: `--`, blanks, `+goose`, blanks, then the annotation word in any
/// case (`Up`, `up`, `Down`), on a line of its own without leading blanks (goose's own
/// pattern is `^--\s\+goose\s`, and annotations are case-insensitive).
fn is_goose_line(line: &[u8], annotation: &[u8]) -> bool {
    let line = line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line);
    let Some(rest) = line.strip_prefix(b"--") else {
        return false;
    };
    let rest = trim_blanks_start(rest);
    let Some(rest) = rest.strip_prefix(GOOSE_WORD) else {
        return false;
    };
    let after_word = trim_blanks_start(rest);
    if after_word.len() == rest.len() {
        return false;
    }
    let Some(word) = after_word.get(..annotation.len()) else {
        return false;
    };
    let word_ends = after_word.get(annotation.len()).is_none_or(|byte| !byte.is_ascii_alphanumeric());
    word.eq_ignore_ascii_case(annotation) && word_ends
}

fn trim_blanks_start(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&byte| byte != b' ' && byte != b'\t').unwrap_or(bytes.len());
    &bytes[start..]
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = Line<'_>> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let line_start = start;
        let (text_end, next_start) = match bytes[line_start..].iter().position(|&byte| byte == b'\n') {
            Some(offset) => (line_start + offset, line_start + offset + 1),
            None => (bytes.len(), bytes.len()),
        };
        start = next_start;
        Some(Line { start: line_start, text: &bytes[line_start..text_end], next_start })
    })
}

/// dbmate's own pattern is `^--\s*migrate:up`: two dashes at the start of the line, optional
/// blanks, then the marker word. A leading byte-order mark is skipped (editors on Windows put
/// one before the first line).
fn is_marker_line(line: &[u8], marker: &[u8]) -> bool {
    let line = line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line);
    let Some(after_dashes) = line.strip_prefix(b"--") else {
        return false;
    };
    let first_non_blank = after_dashes.iter().position(|&byte| byte != b' ' && byte != b'\t');
    first_non_blank.is_some_and(|offset| after_dashes[offset..].starts_with(marker))
}

/// Appends `text` with every character but `\n` and `\r` turned into spaces, one per byte.
pub fn push_blanked(out: &mut String, text: &str) {
    for character in text.chars() {
        match character {
            '\n' | '\r' => out.push(character),
            other => out.extend(std::iter::repeat_n(' ', other.len_utf8())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn newline_offsets(text: &str) -> Vec<usize> {
        text.bytes().enumerate().filter(|(_, byte)| *byte == b'\n').map(|(offset, _)| offset).collect()
    }

    #[test]
    fn keeps_the_up_half_and_blanks_the_rest() {
        let text = "-- migrate:up\nCREATE TABLE t (id int);\n\n-- migrate:down\nDROP TABLE t;\n";
        let up_half = keep_up_half(text);
        assert_eq!(up_half, "             \nCREATE TABLE t (id int);\n\n               \n             \n");
        assert_eq!(up_half.len(), text.len());
        assert_eq!(newline_offsets(&up_half), newline_offsets(text));
        assert_eq!(up_half.find("CREATE"), text.find("CREATE"));
    }

    #[test]
    fn text_before_the_up_marker_is_blanked() {
        let text = "-- a note\n-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n";
        let up_half = keep_up_half(text);
        assert_eq!(
            up_half,
            format!("{}\n{}\nCREATE INDEX CONCURRENTLY i ON t (a);\n", " ".repeat(9), " ".repeat(31))
        );
        assert_eq!(up_half.len(), text.len());
    }

    #[test]
    fn multibyte_characters_become_one_space_per_byte() {
        let text = "-- migrate:up\nSELECT 'é';\n-- migrate:down\nSELECT 'ü∑';\n";
        let up_half = keep_up_half(text);
        assert_eq!(up_half.len(), text.len());
        assert_eq!(newline_offsets(&up_half), newline_offsets(text));
        assert!(up_half.contains("SELECT 'é';"));
        assert!(!up_half.contains('ü'));
        assert_eq!(up_half.split('\n').nth(3), Some(" ".repeat("SELECT 'ü∑';".len()).as_str()));
    }

    #[test]
    fn crlf_line_ends_are_kept() {
        let text = "-- migrate:up\r\nSELECT 1;\r\n-- migrate:down\r\nSELECT 2;\r\n";
        let up_half = keep_up_half(text);
        assert_eq!(up_half, "             \r\nSELECT 1;\r\n               \r\n         \r\n");
    }

    #[test]
    fn a_file_without_up_marker_is_returned_whole() {
        let text = "CREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n";
        assert!(matches!(keep_up_half(text), Cow::Borrowed(same) if same == text));
        assert!(matches!(keep_up_half(""), Cow::Borrowed("")));
    }

    #[test]
    fn a_down_marker_before_the_up_marker_is_blanked_with_the_rest() {
        let text = "-- migrate:down\nDROP TABLE t;\n-- migrate:up\nCREATE TABLE t ();\n";
        let up_half = keep_up_half(text);
        assert_eq!(
            up_half,
            format!("{}\n{}\n{}\nCREATE TABLE t ();\n", " ".repeat(15), " ".repeat(13), " ".repeat(13))
        );
    }

    #[test]
    fn up_marker_on_the_last_line_keeps_nothing() {
        let text = "SELECT 1;\n-- migrate:up";
        assert_eq!(keep_up_half(text), "         \n             ");
    }

    #[test]
    fn every_combination_of_tricky_pieces_keeps_length_and_newlines() {
        let pieces = ["-- migrate:up", "-- migrate:down", "é∑", "\n", "\r\n", "SELECT 1;", "--", "\u{feff}"];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|text| pieces.iter().map(move |piece| format!("{text}{piece}")))
                .collect();
            texts.extend(longer);
        }
        for text in &texts {
            let up_half = keep_up_half(text);
            assert_eq!(up_half.len(), text.len(), "{text:?}");
            assert_eq!(newline_offsets(&up_half), newline_offsets(text), "{text:?}");
            let kept_or_blank = up_half.bytes().zip(text.bytes()).all(|(new, old)| new == old || new == b' ');
            assert!(kept_or_blank, "{text:?} became {up_half:?}");
        }
    }

    #[test]
    fn marker_lines_follow_dbmate_pattern() {
        assert!(is_marker_line(b"-- migrate:up", UP_MARKER));
        assert!(is_marker_line(b"--migrate:up", UP_MARKER));
        assert!(is_marker_line(b"--\tmigrate:up transaction:false", UP_MARKER));
        assert!(is_marker_line("\u{feff}-- migrate:up".as_bytes(), UP_MARKER));
        assert!(!is_marker_line(b" -- migrate:up", UP_MARKER));
        assert!(!is_marker_line(b"-- migrate:down", UP_MARKER));
        assert!(!is_marker_line(b"SELECT 1; -- migrate:up", UP_MARKER));
        assert!(!is_marker_line(b"--", UP_MARKER));
        assert!(is_marker_line(b"-- migrate:down", DOWN_MARKER));
    }

    #[test]
    fn marker_search_tolerates_bad_bytes_and_missing_files() {
        let folder = tempfile::tempdir().expect("temp dir");
        let with_marker = folder.path().join("1_a.sql");
        std::fs::write(&with_marker, b"\xff\xfe junk\n-- migrate:up\nSELECT 1;\n").expect("write");
        assert!(file_has_up_marker(&with_marker));
        let without_marker = folder.path().join("2_b.sql");
        std::fs::write(&without_marker, b"\xff\xfe SELECT 1;\n").expect("write");
        assert!(!file_has_up_marker(&without_marker));
        assert!(!file_has_up_marker(&folder.path().join("missing.sql")));
        assert!(!file_has_up_marker(folder.path()));
    }

    #[test]
    fn marker_search_reads_only_the_first_64_kib() {
        let folder = tempfile::tempdir().expect("temp dir");
        let late_marker = folder.path().join("1_late.sql");
        let mut text = "-- filler\n".repeat(7000);
        text.push_str("-- migrate:up\nSELECT 1;\n");
        std::fs::write(&late_marker, text).expect("write");
        assert!(!file_has_up_marker(&late_marker));
    }
}
