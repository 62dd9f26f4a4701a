//! Reading the files neonlint is given, bounded: only regular files (a FIFO or a device
//! such as `/dev/zero` would never end), at most a fixed number of bytes, and migration
//! text decoded as psql would send it (UTF-8, a leading byte order mark dropped).
//!
//! Every failure is an [`InputError`] that says what is wrong with the file in words a
//! user can act on; the caller names the file and decides what the failure means (a
//! migration that cannot be read ends the run with exit code 2, after the others).
//! Nothing here interprets SQL.

use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::Path;

use crate::text::line_and_column;

/// The most read from a configuration, certificate, plan or journal file.
pub const SETTINGS_LIMIT: u64 = 8 << 20;
/// The most read from a baseline, which lists one line per finding.
pub const BASELINE_LIMIT: u64 = 256 << 20;
/// The most read from one migration file. Dumps with data can be large; beyond this, the
/// file is no migration neonlint should hold in memory.
pub const MIGRATION_LIMIT: u64 = 1 << 30;

/// Why a file could not be read or decoded.
#[derive(Debug)]
pub enum InputError {
    Io(io::Error),
    /// A FIFO, a device, a socket or a directory: reading it may never end.
    NotAFile(&'static str),
    TooLarge {
        limit: u64,
    },
    /// NUL bytes in the first 8 KiB, and no UTF-16 byte order mark.
    Binary,
    /// A UTF-16 byte order mark, or text whose every other byte is NUL.
    Utf16 {
        big_endian: bool,
        byte_order_mark: bool,
    },
    NotUtf8 {
        /// The offset of the first invalid byte in the file.
        offset: usize,
        byte: u8,
        line: u32,
        column: u32,
    },
}

/// The bytes of the regular file at `path`, at most `limit` of them.
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    // Checked before opening: opening a FIFO waits for a writer.
    let metadata = fs::metadata(path).map_err(InputError::Io)?;
    if !metadata.is_file() {
        return Err(InputError::NotAFile(file_type_name(&metadata.file_type())));
    }
    let file = fs::File::open(path).map_err(InputError::Io)?;
    // A regular file may still grow while it is read: the limit holds either way.
    let mut bytes = Vec::with_capacity(metadata.len().min(limit) as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(InputError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge { limit });
    }
    Ok(bytes)
}

/// The text of a settings file (configuration, plan, journal), at most [`SETTINGS_LIMIT`]
/// bytes, decoded like a migration.
pub fn read_settings_text(path: &Path) -> Result<String, InputError> {
    decode(read_bytes(path, SETTINGS_LIMIT)?)
}

/// The text of a file neonlint rewrites (sqitch's plan, drizzle's journal), at most
/// [`SETTINGS_LIMIT`] bytes, byte for byte: a byte order mark is kept.
pub fn read_text_as_is(path: &Path) -> Result<String, InputError> {
    String::from_utf8(read_bytes(path, SETTINGS_LIMIT)?).map_err(|error| not_utf8(&error, 0))
}

/// `bytes` as text the way psql reads a file: UTF-8, with a byte order mark at the start
/// dropped (psql skips it too). Locations in the text are then what an editor shows.
pub fn decode(mut bytes: Vec<u8>) -> Result<String, InputError> {
    let mut dropped = 0;
    match bytes.as_slice() {
        [0xef, 0xbb, 0xbf, ..] => {
            bytes.drain(..3);
            dropped = 3;
        }
        [0xff, 0xfe, ..] => return Err(InputError::Utf16 { big_endian: false, byte_order_mark: true }),
        [0xfe, 0xff, ..] => return Err(InputError::Utf16 { big_endian: true, byte_order_mark: true }),
        _ => {}
    }
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return Err(match utf16_without_mark(head) {
            Some(big_endian) => InputError::Utf16 { big_endian, byte_order_mark: false },
            None => InputError::Binary,
        });
    }
    String::from_utf8(bytes).map_err(|error| not_utf8(&error, dropped))
}

impl fmt::Display for InputError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Io(error) if error.kind() == io::ErrorKind::PermissionDenied => {
                write!(formatter, "cannot read it ({error}); check its permissions")
            }
            InputError::Io(error) if error.kind() == io::ErrorKind::NotFound => {
                write!(formatter, "it does not exist ({error}); check the path")
            }
            InputError::Io(error) => write!(formatter, "cannot read it ({error})"),
            InputError::NotAFile(kind) => {
                write!(formatter, "it is {kind}, not a regular file; give the path of a file")
            }
            InputError::TooLarge { limit } => write!(
                formatter,
                "it is larger than {} MiB, more than neonlint reads from such a file",
                limit >> 20
            ),
            InputError::Binary => {
                formatter.write_str("it looks binary (it contains NUL bytes), not like SQL text")
            }
            InputError::Utf16 { big_endian, byte_order_mark } => write!(
                formatter,
                "it is UTF-16 ({}{}), which neither psql nor neonlint reads; save it as UTF-8",
                if *big_endian { "big-endian" } else { "little-endian" },
                if *byte_order_mark { ", with a byte order mark" } else { "" }
            ),
            InputError::NotUtf8 { offset, byte, line, column } => write!(
                formatter,
                "it is not UTF-8: the byte 0x{byte:02X} at line {line}, column {column} (byte offset {offset}) \
                 is invalid; save the file as UTF-8 (it may be Latin-1 or Windows-1252)"
            ),
        }
    }
}

impl std::error::Error for InputError {}

/// Where `error` found the first invalid byte; `dropped` bytes were removed from the start.
fn not_utf8(error: &std::string::FromUtf8Error, dropped: usize) -> InputError {
    let offset = error.utf8_error().valid_up_to();
    let bytes = error.as_bytes();
    // The prefix is valid UTF-8 by definition of `valid_up_to`.
    let prefix = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
    let (line, column) = line_and_column(prefix);
    InputError::NotUtf8 { offset: offset + dropped, byte: bytes[offset], line, column }
}

/// What a file that is not a regular file is, as messages say it.
fn file_type_name(file_type: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_dir() {
        "a folder"
    } else if file_type.is_fifo() {
        "a named pipe (FIFO)"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Whether text without a byte order mark is UTF-16: most characters are ASCII, so one byte
/// of each pair is NUL. `Some(true)` for big-endian (NUL first).
fn utf16_without_mark(head: &[u8]) -> Option<bool> {
    let pairs = head.len() / 2;
    if pairs < 2 {
        return None;
    }
    let nul_at = |parity: usize| head.chunks_exact(2).filter(|pair| pair[parity] == 0).count();
    let (even, odd) = (nul_at(0), nul_at(1));
    // Nine pairs in ten with a NUL on one side and none on the other.
    if odd * 10 >= pairs * 9 && even == 0 {
        Some(false)
    } else if even * 10 >= pairs * 9 && odd == 0 {
        Some(true)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, big_endian: bool, mark: bool) -> Vec<u8> {
        let mut bytes = Vec::new();
        if mark {
            bytes.extend(if big_endian { [0xfe, 0xff] } else { [0xff, 0xfe] });
        }
        for unit in text.encode_utf16() {
            bytes.extend(if big_endian { unit.to_be_bytes() } else { unit.to_le_bytes() });
        }
        bytes
    }

    #[test]
    fn byte_order_mark_is_dropped() {
        let text = decode(b"\xef\xbb\xbfCREATE TABLE t ();".to_vec()).unwrap();
        assert_eq!(text, "CREATE TABLE t ();");
        // Only at the start: elsewhere it is a character of the text.
        let text = decode(b"a\xef\xbb\xbfb".to_vec()).unwrap();
        assert_eq!(text, "a\u{feff}b");
    }

    #[test]
    fn utf16_is_named_with_or_without_a_mark() {
        let sql = "CREATE TABLE public.t (id int);\n";
        for (big_endian, mark) in [(false, true), (true, true), (false, false), (true, false)] {
            let error = decode(utf16(sql, big_endian, mark)).unwrap_err();
            assert!(
                matches!(error, InputError::Utf16 { big_endian: b, byte_order_mark: m } if b == big_endian && m == mark),
                "{error:?}"
            );
            assert!(error.to_string().contains("save it as UTF-8"), "{error}");
        }
    }

    #[test]
    fn other_nul_bytes_are_binary() {
        let error = decode(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()).unwrap_err();
        assert!(matches!(error, InputError::Binary), "{error:?}");
    }

    #[test]
    fn latin1_names_the_byte_line_and_column() {
        let error = decode(b"-- caf\xe9\nselect 1;\n".to_vec()).unwrap_err();
        let InputError::NotUtf8 { offset, byte, line, column } = error else { panic!("{error:?}") };
        assert_eq!((offset, byte, line, column), (6, 0xe9, 1, 7));
        // Lines end at CR, LF and CRLF, as everywhere in neonlint's locations.
        let error = decode(b"a\r\nb\rc\nd \xff".to_vec()).unwrap_err();
        let InputError::NotUtf8 { line, column, .. } = error else { panic!("{error:?}") };
        assert_eq!((line, column), (4, 3));
    }

    #[test]
    fn only_regular_files_up_to_the_limit_are_read() {
        let error = read_bytes(Path::new("/dev/zero"), SETTINGS_LIMIT).unwrap_err();
        assert!(matches!(error, InputError::NotAFile("a character device")), "{error:?}");
        let error = read_bytes(Path::new("/"), SETTINGS_LIMIT).unwrap_err();
        assert!(matches!(error, InputError::NotAFile("a folder")), "{error:?}");
        let path = std::env::temp_dir().join(format!("neonlint-input-{}", std::process::id()));
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read_bytes(&path, 10).unwrap(), b"0123456789");
        let error = read_bytes(&path, 9).unwrap_err();
        assert!(matches!(error, InputError::TooLarge { limit: 9 }), "{error:?}");
        let _ = std::fs::remove_file(&path);
    }
}
