//! drizzle-kit: `NNNN_neonlint_fix.sql` with `--> statement-breakpoint` lines and its entry in
//! `meta/_journal.json` (edited as text, so every other byte of the journal stays), or a
//! `<timestamp>_neonlint_fix/migration.sql` folder in drizzle-kit's newer layout.

use super::versions::VersionStyle;
use super::versions::{Clock, next_version_like};
use super::{FixText, NewMigration, NewMigrationError, Separator, exists, free_change_name, highest_version};
use crate::input;
use crate::source::folder::FolderListing;
use crate::source::layouts::{DRIZZLE_JOURNAL, DrizzleJournal};
use crate::source::order::numbered_prefix;
use crate::source::{MigrationSet, SourceError};

/// The line drizzle-kit puts between statements; its migrator runs each chunk on its own.
pub(super) const BREAKPOINT: &str = "--> statement-breakpoint";

/// The journal's `version` when no entry has one: drizzle-kit's current journal format.
const DEFAULT_DRIZZLE_JOURNAL_VERSION: &str = "\"7\"";

pub(super) fn plan(
    set: &MigrationSet,
    fix: &FixText,
    clock: Clock,
) -> Result<NewMigration, NewMigrationError> {
    let listing = FolderListing::read(&set.root)?;
    if listing.has_journal {
        return plan_drizzle_journal(set, fix, clock);
    }
    if !listing.migration_folders.is_empty() {
        return super::prisma::plan_migration_folder(set, fix, clock, Separator::DrizzleBreakpoint);
    }
    // Without journal or folders drizzle's order is unknown and `source` uses natural order.
    super::plain::plan_numbered(set, fix, clock, Separator::DrizzleBreakpoint)
}

fn plan_drizzle_journal(
    set: &MigrationSet,
    fix: &FixText,
    clock: Clock,
) -> Result<NewMigration, NewMigrationError> {
    let journal_path = set.root.join(DRIZZLE_JOURNAL);
    let invalid = |error: String| SourceError::InvalidJournal { path: journal_path.clone(), error };
    let journal_text = input::read_text_as_is(&journal_path)
        .map_err(|error| SourceError::UnreadableFile { path: journal_path.clone(), error })?;
    let journal: DrizzleJournal =
        serde_json::from_str(&journal_text).map_err(|error| invalid(error.to_string()))?;
    let entries = &journal.entries;

    let next_idx = entries
        .iter()
        .filter_map(|entry| entry.idx)
        .max()
        .map_or(entries.len() as u64, |highest| highest.saturating_add(1));
    // drizzle's migrator skips a migration whose `when` is not after the last applied one's.
    let latest_when = entries.iter().filter_map(|entry| entry.when.as_ref()?.as_u64()).max();
    let when = latest_when.map_or(clock.millis(), |latest| clock.millis().max(latest.saturating_add(1)));
    let last_entry = entries.last();
    let version = last_entry
        .and_then(|entry| entry.version.as_ref())
        .map_or(DEFAULT_DRIZZLE_JOURNAL_VERSION.to_string(), |version| version.to_string());

    // drizzle-kit's `prefix` setting: `index` (`0001_`), `timestamp`/`supabase` (14 digits),
    // `unix` (10 digits) or `none`; the newest tag tells which one the project uses.
    let tag_prefix = match last_entry.and_then(|entry| numbered_prefix(&entry.tag)) {
        None if last_entry.is_some() => String::new(),
        None => format!("{next_idx:04}_"),
        Some(last_prefix) => match VersionStyle::of(last_prefix) {
            VersionStyle::Counter { width } => format!("{next_idx:0width$}_"),
            _ => {
                let highest = highest_version(entries.iter().filter_map(|entry| numbered_prefix(&entry.tag)));
                format!("{}_", next_version_like(highest.unwrap_or(last_prefix), clock))
            }
        },
    };
    let change = free_change_name(&set.root, |change| {
        let tag = format!("{tag_prefix}{change}");
        entries.iter().any(|entry| entry.tag == tag) || exists(&set.root.join(format!("{tag}.sql")))
    })?;
    let tag = format!("{tag_prefix}{change}");

    let fields = [
        ("idx", next_idx.to_string()),
        ("version", version),
        ("when", when.to_string()),
        ("tag", format!("\"{tag}\"")),
        ("breakpoints", "true".to_string()),
    ];
    let new_journal = journal_with_entry(&journal_text, &fields)
        .ok_or_else(|| invalid("neonlint could not find its `entries` array in the text".to_string()))?;
    // The edit was made on text: read it back, so a journal drizzle cannot read is never written.
    let check: DrizzleJournal =
        serde_json::from_str(&new_journal).map_err(|error| invalid(error.to_string()))?;
    let added = check.entries.last().is_some_and(|entry| entry.tag == tag && entry.idx == Some(next_idx));
    if !added || check.entries.len() != entries.len() + 1 {
        return Err(invalid("neonlint could not add an entry to its `entries` array".to_string()).into());
    }

    let text = fix.file(&[], &fix.statements_joined(Separator::DrizzleBreakpoint));
    Ok(NewMigration {
        created: vec![(set.root.join(format!("{tag}.sql")), text)],
        updated: vec![(journal_path, new_journal)],
        notes: Vec::new(),
    })
}

/// The journal text with one more entry at the end of `entries`, written in the style of the
/// last entry (indentation, line breaks, space after `:`), every other byte unchanged.
/// `fields` are keys with their JSON text. `None` when the array cannot be found.
fn journal_with_entry(text: &str, fields: &[(&str, String)]) -> Option<String> {
    let array = find_entries_array(text)?;
    let style = match array.elements.last() {
        Some(&(start, end)) => EntryStyle::of_entry(text, start, end)
            .unwrap_or_else(|| EntryStyle::default_for(text, array.key_start)),
        None => EntryStyle::default_for(text, array.key_start),
    };
    let mut entry = String::from("{");
    for (index, (key, value)) in fields.iter().enumerate() {
        if index > 0 {
            entry.push(',');
        }
        entry.push_str(&style.before_key);
        entry.push_str(&format!("\"{key}\"{}{value}", style.colon));
    }
    entry.push_str(&style.before_close);
    entry.push('}');

    let (before, after) = match array.elements.last() {
        Some(&(_, end)) => (text.get(..end)?, text.get(end..)?),
        None => (text.get(..array.open + 1)?, text.get(array.close..)?),
    };
    let mut new_text = String::with_capacity(text.len() + entry.len() + 64);
    new_text.push_str(before);
    if !array.elements.is_empty() {
        new_text.push(',');
    }
    new_text.push_str(&style.before_entry);
    new_text.push_str(&entry);
    if array.elements.is_empty() {
        new_text.push_str(&style.before_array_close);
    }
    new_text.push_str(after);
    Some(new_text)
}

/// Where the `entries` array of the journal's top-level object is, as byte offsets.
struct EntriesArray {
    /// The `"` starting the `entries` key.
    key_start: usize,
    /// The `[` and the `]` of the array.
    open: usize,
    close: usize,
    /// Each element's first byte and the byte after its last.
    elements: Vec<(usize, usize)>,
}

/// The white space a journal puts around an entry and its keys.
struct EntryStyle {
    /// Between the `,` (or `[`) and the entry's `{`.
    before_entry: String,
    /// Between `{` or `,` and a key.
    before_key: String,
    /// From a key's closing quote to its value: `": "` as drizzle writes it.
    colon: String,
    /// Between the last value and `}`.
    before_close: String,
    /// Between the only entry and `]`, when the array was empty.
    before_array_close: String,
}

impl EntryStyle {
    /// The style of the entry at `start..end`; `None` if it is not an object with a key.
    fn of_entry(text: &str, start: usize, end: usize) -> Option<EntryStyle> {
        let entry = text.get(start..end)?;
        let mut cursor = JsonCursor { bytes: entry.as_bytes(), position: 0 };
        cursor.expect(b'{')?;
        cursor.skip_whitespace();
        let before_key = entry.get(1..cursor.position)?.to_string();
        cursor.string()?;
        let key_end = cursor.position;
        cursor.skip_whitespace();
        cursor.expect(b':')?;
        cursor.skip_whitespace();
        let colon = entry.get(key_end..cursor.position)?.to_string();
        let body = entry.strip_suffix('}')?;
        let before_close = body.get(body.trim_end().len()..)?.to_string();
        let before_entry = text.get(..start)?;
        let before_entry = before_entry.get(before_entry.trim_end().len()..)?.to_string();
        Some(EntryStyle { before_entry, before_key, colon, before_close, before_array_close: String::new() })
    }

    /// drizzle-kit's style (two spaces per level), indented from the `entries` key's line; on
    /// one line when the whole journal is on one line.
    fn default_for(text: &str, key_start: usize) -> EntryStyle {
        if !text.contains('\n') {
            return EntryStyle {
                before_entry: String::new(),
                before_key: String::new(),
                colon: ":".to_string(),
                before_close: String::new(),
                before_array_close: String::new(),
            };
        }
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let before_key_on_line = text.get(..key_start).unwrap_or_default();
        let line = before_key_on_line.rsplit('\n').next().unwrap_or_default();
        let indent: String =
            line.chars().take_while(|character| *character == ' ' || *character == '\t').collect();
        EntryStyle {
            before_entry: format!("{newline}{indent}  "),
            before_key: format!("{newline}{indent}    "),
            colon: ": ".to_string(),
            before_close: format!("{newline}{indent}  "),
            before_array_close: format!("{newline}{indent}"),
        }
    }
}

/// Finds the top-level `entries` array. The text must already be valid JSON (serde_json read
/// it), which also bounds the nesting this walks through.
fn find_entries_array(text: &str) -> Option<EntriesArray> {
    let mut cursor = JsonCursor { bytes: text.as_bytes(), position: 0 };
    cursor.skip_whitespace();
    cursor.expect(b'{')?;
    loop {
        cursor.skip_whitespace();
        let key_start = cursor.position;
        let (name_start, name_end) = cursor.string()?;
        cursor.skip_whitespace();
        cursor.expect(b':')?;
        cursor.skip_whitespace();
        if text.get(name_start..name_end) == Some("entries") {
            return cursor.array_elements(key_start);
        }
        cursor.value()?;
        cursor.skip_whitespace();
        cursor.expect(b',')?;
    }
}

/// A position in JSON text, moved token by token.
struct JsonCursor<'text> {
    bytes: &'text [u8],
    position: usize,
}

impl JsonCursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.position += 1)
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.position += 1;
        }
    }

    /// Moves past a string; returns the range between its quotes.
    fn string(&mut self) -> Option<(usize, usize)> {
        self.expect(b'"')?;
        let start = self.position;
        loop {
            match self.peek()? {
                b'\\' => self.position += 2,
                b'"' => {
                    let end = self.position;
                    self.position += 1;
                    return Some((start, end));
                }
                _ => self.position += 1,
            }
        }
    }

    /// Moves past any value.
    fn value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => self.container(),
            _ => {
                let start = self.position;
                while self.peek().is_some_and(|byte| !b",}] \t\n\r".contains(&byte)) {
                    self.position += 1;
                }
                (self.position > start).then_some(())
            }
        }
    }

    fn container(&mut self) -> Option<()> {
        let close = if self.peek()? == b'{' { b'}' } else { b']' };
        self.position += 1;
        self.skip_whitespace();
        if self.expect(close).is_some() {
            return Some(());
        }
        loop {
            self.skip_whitespace();
            if close == b'}' {
                self.string()?;
                self.skip_whitespace();
                self.expect(b':')?;
                self.skip_whitespace();
            }
            self.value()?;
            self.skip_whitespace();
            if self.expect(close).is_some() {
                return Some(());
            }
            self.expect(b',')?;
        }
    }

    fn array_elements(&mut self, key_start: usize) -> Option<EntriesArray> {
        let open = self.position;
        self.expect(b'[')?;
        let mut elements = Vec::new();
        self.skip_whitespace();
        if self.peek()? == b']' {
            return Some(EntriesArray { key_start, open, close: self.position, elements });
        }
        loop {
            self.skip_whitespace();
            let start = self.position;
            self.value()?;
            elements.push((start, self.position));
            self.skip_whitespace();
            if self.peek()? == b']' {
                return Some(EntriesArray { key_start, open, close: self.position, elements });
            }
            self.expect(b',')?;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::super::test_support::*;

    use crate::source::Layout;
    use crate::source::test_support::folder_with;

    #[test]
    fn drizzle_gets_the_next_index_and_a_journal_entry() {
        let project = copy_fixture("drizzle");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan),
            (vec!["0002_neonlint_fix.sql".to_string()], vec!["meta/_journal.json".to_string()])
        );
        assert_eq!(created_text(&plan, 0), DRIZZLE_TEXT);
        let journal = &plan.updated[0].1;
        let expected_journal = r#"{
  "version": "7",
  "dialect": "postgresql",
  "entries": [
    {
      "idx": 0,
      "version": "7",
      "when": 1704067200000,
      "tag": "0000_init",
      "breakpoints": true
    },
    {
      "idx": 1,
      "version": "7",
      "when": 1704153600000,
      "tag": "0001_enable_rls",
      "breakpoints": true
    },
    {
      "idx": 2,
      "version": "7",
      "when": 1795754400000,
      "tag": "0002_neonlint_fix",
      "breakpoints": true
    }
  ]
}
"#;
        assert_eq!(journal, expected_journal);
        write_and_check(project.path(), &plan, &[]);

        let written: serde_json::Value =
            serde_json::from_slice(&fs::read(&plan.updated[0].0).expect("journal")).expect("journal parses");
        let entries = written["entries"].as_array().expect("entries");
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[2]["tag"], "0002_neonlint_fix");
        assert_eq!(entries[2]["idx"], 2);
    }

    #[test]
    fn drizzle_stray_file_with_the_same_tag_gets_2() {
        // A fix written before, whose journal entry was then reverted: drizzle does not run it.
        let project = copy_fixture("drizzle");
        fs::write(project.path().join("drizzle/0002_neonlint_fix.sql"), "SELECT 1;\n").expect("write");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["0002_neonlint_fix_2.sql"]);
        assert!(plan.updated[0].1.contains("\"tag\": \"0002_neonlint_fix_2\""));
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn drizzle_compact_journal_keeps_its_style_and_when_stays_increasing() {
        let journal = r#"{"version":"7","dialect":"postgresql","entries":[{"idx":0,"version":"6","when":1900000000000,"tag":"0000_first","breakpoints":true}]}"#;
        let project = folder_with(&[("drizzle/meta/_journal.json", journal), ("drizzle/0000_first.sql", "")]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            plan.updated[0].1,
            r#"{"version":"7","dialect":"postgresql","entries":[{"idx":0,"version":"6","when":1900000000000,"tag":"0000_first","breakpoints":true},{"idx":1,"version":"6","when":1900000000001,"tag":"0001_neonlint_fix","breakpoints":true}]}"#
        );
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn drizzle_empty_journal_gets_its_first_entry() {
        let journal = "{\n  \"version\": \"7\",\n  \"dialect\": \"postgresql\",\n  \"entries\": []\n}";
        let project = folder_with(&[("drizzle/meta/_journal.json", journal)]);
        let set = discover_set(project.path());
        assert_eq!(set.layout, Layout::Drizzle);
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["0000_neonlint_fix.sql"]);
        assert_eq!(
            plan.updated[0].1,
            "{\n  \"version\": \"7\",\n  \"dialect\": \"postgresql\",\n  \"entries\": [\n    {\n      \"idx\": 0,\n      \
             \"version\": \"7\",\n      \"when\": 1795754400000,\n      \"tag\": \"0000_neonlint_fix\",\n      \
             \"breakpoints\": true\n    }\n  ]\n}"
        );
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn drizzle_timestamp_prefixes_get_a_stamp() {
        let journal = "{\n  \"entries\": [\n    {\n      \"idx\": 0,\n      \"version\": \"7\",\n      \"when\": 1,\n      \
                       \"tag\": \"20240101000000_init\",\n      \"breakpoints\": true\n    }\n  ]\n}\n";
        let project =
            folder_with(&[("drizzle/meta/_journal.json", journal), ("drizzle/20240101000000_init.sql", "")]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(relative_paths(&set, &plan).0, ["20261127044000_neonlint_fix.sql"]);
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn drizzle_migration_folders_get_a_new_folder() {
        let project = folder_with(&[
            ("drizzle/20240101000000_init/migration.sql", "SELECT 1;\n"),
            ("drizzle/20240101000000_init/snapshot.json", "{}"),
        ]);
        let set = discover_set(project.path());
        assert_eq!(set.layout, Layout::Drizzle);
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan),
            (vec!["20261127044000_neonlint_fix/migration.sql".to_string()], vec![])
        );
        assert_eq!(created_text(&plan, 0), DRIZZLE_TEXT);
        write_and_check(project.path(), &plan, &[]);
    }
}
