//! Reading keyword CSV files: a header row mapped to our columns (explicit names or common
//! aliases), then one parsed row per line or the reasons it was rejected, with line numbers.

use igny8_platform::{Result, error::FieldErrors};

use super::keyword::{KeywordText, parse_cpc_micros, parse_difficulty, parse_intent, parse_volume};

/// Most data rows one upload may hold.
pub const MAX_ROWS: usize = 100_000;
/// Rejected rows reported in detail; the rest are only counted.
pub const MAX_REPORTED_ERRORS: usize = 100;

/// The values a file can carry, and header names commonly used for each (compared after
/// lowercasing and turning punctuation into spaces: "KD %" reads as "kd").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Keyword,
    Volume,
    Difficulty,
    Cpc,
    Intent,
    Industry,
    Sector,
    Country,
}

impl Column {
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Keyword => &[
                "keyword",
                "keywords",
                "keyphrase",
                "key phrase",
                "query",
                "search query",
                "search term",
                "term",
                "phrase",
                "kw",
            ],
            Self::Volume => &[
                "volume",
                "search volume",
                "searchvolume",
                "sv",
                "msv",
                "monthly searches",
                "avg monthly searches",
                "average monthly searches",
                "monthly volume",
                "global volume",
            ],
            Self::Difficulty => &[
                "difficulty",
                "keyword difficulty",
                "kd",
                "seo difficulty",
                "kw difficulty",
            ],
            Self::Cpc => &["cpc", "cpc usd", "avg cpc", "cost per click", "cpc value"],
            Self::Intent => &["intent", "intents", "search intent", "keyword intent"],
            Self::Industry => &["industry", "industry slug"],
            Self::Sector => &["sector", "sector slug", "industry sector"],
            Self::Country => &["country", "country code", "market"],
        }
    }

    /// The request field that names this column explicitly.
    fn setting(self) -> &'static str {
        match self {
            Self::Keyword => "keyword_column",
            Self::Volume => "volume_column",
            Self::Difficulty => "difficulty_column",
            Self::Cpc => "cpc_column",
            Self::Intent => "intent_column",
            Self::Industry => "industry_column",
            Self::Sector => "sector_column",
            Self::Country => "country_column",
        }
    }
}

/// Which columns to read and which must be present.
pub struct Layout<'a> {
    pub required: &'a [Column],
    pub optional: &'a [Column],
    /// Explicit header names (empty = find by alias).
    pub names: &'a [(Column, &'a str)],
}

/// One accepted row.
#[derive(Debug, Clone)]
pub struct CsvKeyword {
    pub line: u64,
    pub keyword: KeywordText,
    pub volume: i32,
    pub difficulty: i16,
    pub cpc_micros: i64,
    pub intent: &'static str,
    pub industry: String,
    pub sector: String,
    pub country: String,
}

/// What a file came to: the good rows, and the rejected ones (line, field, message).
#[derive(Debug, Default)]
pub struct ParsedCsv {
    pub rows: Vec<CsvKeyword>,
    pub errors: Vec<(u64, &'static str, String)>,
    pub rejected: u64,
}

impl ParsedCsv {
    /// The rejection as field errors: one entry per reported row, named `line N`.
    pub fn rejection(&self) -> FieldErrors {
        let mut errors = FieldErrors::new();
        for (line, field, message) in &self.errors {
            errors.add(format!("line {line}"), format!("{field}: {message}"));
        }
        let unreported = self.rejected.saturating_sub(self.errors.len() as u64);
        let mut summary = format!("{} rows were rejected; nothing was imported", self.rejected);
        if unreported > 0 {
            summary.push_str(&format!(" ({unreported} not listed)"));
        }
        errors.add("csv", summary);
        errors
    }
}

fn header_key(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The most frequent of comma, semicolon and tab in the header line.
fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let header = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |d: u8| header.iter().filter(|b| **b == d).count();
    [b';', b'\t'].into_iter().fold(
        b',',
        |best, d| if count(d) > count(best) { d } else { best },
    )
}

/// Maps each wanted column to its index in `headers`; a missing required column or a named
/// column that is not there is a field error.
fn map_columns(headers: &csv::StringRecord, layout: &Layout<'_>) -> Result<Vec<(Column, usize)>> {
    let keys: Vec<String> = headers.iter().map(header_key).collect();
    let mut errors = FieldErrors::new();
    let mut found = Vec::new();
    let wanted = layout.required.iter().map(|c| (*c, true));
    for (column, required) in wanted.chain(layout.optional.iter().map(|c| (*c, false))) {
        let explicit = layout
            .names
            .iter()
            .find(|(c, name)| *c == column && !name.trim().is_empty());
        let index = match explicit {
            Some((_, name)) => {
                let key = header_key(name);
                let index = keys.iter().position(|k| *k == key);
                if index.is_none() {
                    errors.add(
                        column.setting(),
                        format!("the header has no column named {:?}", name.trim()),
                    );
                }
                index
            }
            None => column
                .aliases()
                .iter()
                .find_map(|alias| keys.iter().position(|k| k == alias)),
        };
        match index {
            Some(index) => found.push((column, index)),
            None if required && explicit.is_none() => {
                errors.add(
                    "csv",
                    format!(
                        "the header row has no {} column (e.g. {:?})",
                        column.aliases()[0],
                        column.aliases()[0]
                    ),
                );
            }
            None => {}
        }
    }
    errors.into_result().map(|()| found)
}

/// Parses `bytes` as a keyword CSV. File-level problems (empty, no header, missing columns,
/// too many rows) are field errors; row problems are collected in the result.
pub fn parse(bytes: &[u8], layout: &Layout<'_>) -> Result<ParsedCsv> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FieldErrors::single("csv", "the file is empty"));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(bytes))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|_| FieldErrors::single("csv", "the header row is not valid UTF-8 CSV"))?
        .clone();
    let columns = map_columns(&headers, layout)?;
    let mut parsed = ParsedCsv::default();
    let mut record = csv::StringRecord::new();
    let mut data_rows = 0usize;
    // The reader's own line numbers skip blank lines, so count newlines up to each record.
    let mut lines = LineCounter::new(bytes);
    loop {
        let at = reader.position().byte();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(err) => {
                let at = err.position().map_or(at, csv::Position::byte);
                data_rows += 1;
                let line = lines.line_at(at);
                reject(
                    &mut parsed,
                    vec![(line, "csv", "is not valid UTF-8 CSV".into())],
                );
                continue;
            }
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        data_rows += 1;
        if data_rows > MAX_ROWS {
            return Err(FieldErrors::single(
                "csv",
                format!("at most {MAX_ROWS} rows per upload"),
            ));
        }
        let line = lines.line_at(record.position().map_or(at, csv::Position::byte));
        match parse_row(&record, &columns, line) {
            Ok(row) => parsed.rows.push(row),
            Err(problems) => reject(&mut parsed, problems),
        }
    }
    Ok(parsed)
}

/// 1-based line numbers of byte offsets, for offsets that only grow.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the record at `offset`; the reader reports a record after blank lines at
    /// the first blank line, so line breaks at the offset are stepped over.
    fn line_at(&mut self, offset: u64) -> u64 {
        let mut offset = (offset as usize).min(self.bytes.len());
        while matches!(self.bytes.get(offset), Some(b'\n' | b'\r')) {
            offset += 1;
        }
        if offset > self.offset {
            let newlines = self.bytes[self.offset..offset]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.line += newlines as u64;
            self.offset = offset;
        }
        self.line
    }
}

fn reject(parsed: &mut ParsedCsv, problems: Vec<(u64, &'static str, String)>) {
    parsed.rejected += 1;
    for problem in problems {
        if parsed.errors.len() < MAX_REPORTED_ERRORS {
            parsed.errors.push(problem);
        }
    }
}

fn parse_row(
    record: &csv::StringRecord,
    columns: &[(Column, usize)],
    line: u64,
) -> std::result::Result<CsvKeyword, Vec<(u64, &'static str, String)>> {
    let value = |column: Column| {
        columns
            .iter()
            .find(|(c, _)| *c == column)
            .and_then(|(_, index)| record.get(*index))
            .unwrap_or("")
    };
    let mut problems = Vec::new();
    let mut check = |field: &'static str, result: std::result::Result<(), &'static str>| {
        if let Err(message) = result {
            problems.push((line, field, message.to_owned()));
        }
    };
    let keyword = KeywordText::parse(value(Column::Keyword));
    check("keyword", keyword.as_ref().map(|_| ()).map_err(|m| *m));
    let volume = parse_volume(value(Column::Volume));
    check("volume", volume.map(|_| ()));
    let difficulty = parse_difficulty(value(Column::Difficulty));
    check("difficulty", difficulty.map(|_| ()));
    let cpc = parse_cpc_micros(value(Column::Cpc));
    check("cpc", cpc.map(|_| ()));
    let intent = parse_intent(value(Column::Intent));
    check("intent", intent.map(|_| ()));
    let country = value(Column::Country).to_ascii_uppercase();
    let country_ok = country.is_empty()
        || (country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase()));
    check(
        "country",
        if country_ok {
            Ok(())
        } else {
            Err("must be a two-letter country code")
        },
    );
    for (column, field) in [(Column::Industry, "industry"), (Column::Sector, "sector")] {
        if columns.iter().any(|(c, _)| *c == column) && value(column).is_empty() {
            check(field, Err("may not be blank"));
        }
    }
    match (keyword, volume, difficulty, cpc, intent) {
        (Ok(keyword), Ok(volume), Ok(difficulty), Ok(cpc_micros), Ok(intent))
            if problems.is_empty() =>
        {
            Ok(CsvKeyword {
                line,
                keyword,
                volume,
                difficulty,
                cpc_micros,
                intent,
                industry: value(Column::Industry).to_ascii_lowercase(),
                sector: value(Column::Sector).to_ascii_lowercase(),
                country: if country.is_empty() {
                    "US".into()
                } else {
                    country
                },
            })
        }
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use igny8_platform::Error;

    use super::*;

    const SECTOR_LAYOUT: Layout<'static> = Layout {
        required: &[Column::Keyword],
        optional: &[
            Column::Volume,
            Column::Difficulty,
            Column::Cpc,
            Column::Intent,
        ],
        names: &[],
    };

    #[test]
    fn common_headers_are_recognised_and_values_parsed() {
        let file = "\u{feff}Keyword,Search Volume,KD %,CPC (USD),Intent\n\
                    Best CRM,\"1,200\",45,1.25,Commercial\n\
                    \n\
                    crm pricing,90,,,\n";
        let parsed = parse(file.as_bytes(), &SECTOR_LAYOUT).unwrap();
        assert_eq!(parsed.rejected, 0);
        assert_eq!(parsed.rows.len(), 2);
        let first = &parsed.rows[0];
        assert_eq!(
            (
                first.line,
                first.volume,
                first.difficulty,
                first.cpc_micros,
                first.intent
            ),
            (2, 1200, 45, 1_250_000, "commercial")
        );
        assert_eq!(parsed.rows[1].line, 4);
        assert_eq!(parsed.rows[1].intent, "informational");
    }

    #[test]
    fn bad_rows_are_reported_with_line_numbers_and_fields() {
        let file = "keyword;volume;difficulty\nok;1;2\n;5;5\nfine;x;101\n";
        let parsed = parse(file.as_bytes(), &SECTOR_LAYOUT).unwrap();
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(parsed.rejected, 2);
        let fields: Vec<(u64, &str)> = parsed.errors.iter().map(|(l, f, _)| (*l, *f)).collect();
        assert_eq!(
            fields,
            vec![(3, "keyword"), (4, "volume"), (4, "difficulty")]
        );
        let rejection = parsed.rejection();
        assert!(rejection.0.contains_key("line 4"));
        assert!(rejection.0["csv"][0].starts_with("2 rows were rejected"));
    }

    fn fields(err: Error) -> Vec<String> {
        match err {
            Error::Validation(fields) => fields.0.into_keys().collect(),
            other => panic!("not a validation error: {other}"),
        }
    }

    #[test]
    fn missing_or_misnamed_columns_are_file_errors() {
        let err = parse(b"volume,difficulty\n1,2\n", &SECTOR_LAYOUT).unwrap_err();
        assert_eq!(fields(err), vec!["csv"]);
        let named = Layout {
            names: &[(Column::Keyword, "Query Text")],
            ..SECTOR_LAYOUT
        };
        let err = parse(b"keyword\nx\n", &named).unwrap_err();
        assert_eq!(fields(err), vec!["keyword_column"]);
        let ok = parse(b"Query Text,kw\nhello,ignored\n", &named).unwrap();
        assert_eq!(ok.rows[0].keyword.display, "hello");
        assert!(parse(b"  \n", &SECTOR_LAYOUT).is_err());
    }
}
