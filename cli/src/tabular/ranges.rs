//! Reading the rows of a CSV file on every core: the bytes after the header
//! are cut into one range per thread, and each thread reads its range with
//! positioned reads, in blocks, owning the lines that start in it. Cells are
//! split at commas with `memchr`, without the csv crate's general state
//! machine. A quote anywhere stops this reader: a quoted cell may hold a
//! comma or a newline, so such files are read whole by the csv crate.

use std::fs::File;
use std::os::unix::fs::FileExt;

use memchr::{memchr, memchr_iter};

use super::cells::{NotANumber, Part};
use super::progress::Progress;
use super::Kind;

/// Bytes read at a time by each thread.
const BLOCK: usize = 4 << 20;
/// No range is cut smaller than this: threads cost more than they save.
const MIN_RANGE: u64 = 1 << 20;

/// Why a range could not be read this way.
#[derive(Debug)]
pub enum RangeError {
    /// The file quotes cells: read it with the csv crate instead.
    Quoted,
    /// The line starting at `offset` has `found` cells, not the header's.
    Width { offset: u64, found: usize },
    /// Text in a column forced numeric, in the line starting at `offset`.
    NotANumber { offset: u64, error: NotANumber },
    /// Reading failed.
    Io(std::io::Error),
}

/// What to build from the rows: the planned columns of a file `width`
/// columns wide.
#[derive(Clone, Copy)]
pub struct Layout<'a> {
    /// (column position, kind) to read.
    pub plan: &'a [(usize, Kind)],
    /// Columns per row, the header's.
    pub width: usize,
}

/// Reads the lines of `file` from `start` (the first byte after the header)
/// to `end`, in parallel; one part per range, in file order.
pub fn read_parts(
    file: &File,
    start: u64,
    end: u64,
    layout: Layout,
    progress: &Progress,
) -> Result<Vec<Part>, RangeError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let ranges = ((end - start) / MIN_RANGE).clamp(1, cores);
    let bounds: Vec<u64> = (0..=ranges)
        .map(|i| start + (end - start) * i / ranges)
        .collect();
    std::thread::scope(|scope| {
        let threads: Vec<_> = bounds
            .windows(2)
            .map(|range| {
                let (from, to) = (range[0], range[1]);
                scope.spawn(move || read_range(file, from, to, from > start, layout, progress))
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("reading a range does not panic"))
            .collect()
    })
}

/// Reads the lines that start in `[from, to)`. When `mid_line`, `from` may
/// fall inside a line, which belongs to the range before.
fn read_range(
    file: &File,
    from: u64,
    to: u64,
    mid_line: bool,
    layout: Layout,
    progress: &Progress,
) -> Result<Part, RangeError> {
    let mut part = Part::new(layout.plan, layout.width);
    // The byte before `from` tells whether a line starts at `from`.
    let mut base = if mid_line { from - 1 } else { from };
    let mut skip_to_line = mid_line;
    let mut buf: Vec<u8> = Vec::with_capacity(2 * BLOCK);
    let mut reserved = false;
    loop {
        let kept = buf.len();
        buf.resize(kept + BLOCK, 0);
        let read = file
            .read_at(&mut buf[kept..], base + kept as u64)
            .map_err(RangeError::Io)?;
        buf.truncate(kept + read);
        let eof = read == 0;
        if memchr(b'"', &buf[kept..]).is_some() {
            return Err(RangeError::Quoted);
        }
        let mut at = 0;
        if skip_to_line {
            match memchr(b'\n', &buf) {
                Some(newline) => {
                    at = newline + 1;
                    skip_to_line = false;
                }
                None if eof => return Ok(part),
                None => {
                    base += buf.len() as u64;
                    buf.clear();
                    continue;
                }
            }
        }
        loop {
            let line_start = base + at as u64;
            if line_start >= to || at >= buf.len() && eof {
                progress.add(at as u64);
                return Ok(part);
            }
            let line_end = match memchr(b'\n', &buf[at..]) {
                Some(length) => at + length,
                None if eof => buf.len(),
                None => break,
            };
            parse_line(&buf[at..line_end], line_start, layout.width, &mut part)?;
            at = line_end + 1;
        }
        if !reserved && part.rows > 0 {
            // The first block's lines tell how many rows the range holds.
            let per_row = (base + at as u64 - from) as f64 / part.rows as f64;
            part.reserve(((to - from) as f64 / per_row * 1.02) as usize);
            reserved = true;
        }
        progress.add(at as u64);
        buf.drain(..at);
        base += at as u64;
    }
}

/// Adds one line's cells to `part`; empty lines are skipped.
#[inline]
fn parse_line(line: &[u8], offset: u64, width: usize, part: &mut Part) -> Result<(), RangeError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        return Ok(());
    }
    let mut cells = 0;
    let mut at = 0;
    loop {
        let length = part
            .next_cell(cells, &line[at..])
            .map_err(|error| RangeError::NotANumber { offset, error })?;
        cells += 1;
        at += length + 1;
        if at > line.len() {
            break;
        }
    }
    if cells != width {
        return Err(RangeError::Width {
            offset,
            found: cells,
        });
    }
    part.end_row();
    Ok(())
}

/// The line number (1-based) of the byte at `offset`, for an error message.
pub fn line_at(file: &File, offset: u64) -> u64 {
    let mut line = 1;
    let mut buf = vec![0u8; BLOCK];
    let mut at = 0;
    while at < offset {
        let want = BLOCK.min((offset - at) as usize);
        match file.read_at(&mut buf[..want], at) {
            Ok(0) | Err(_) => break,
            Ok(read) => {
                line += memchr_iter(b'\n', &buf[..read]).count() as u64;
                at += read as u64;
            }
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlobs_operators::baseline::ColumnData;

    /// Reads `text` (no header) cut into ranges at every possible place.
    fn read_cut_at(text: &str, cut: u64) -> Vec<f64> {
        let path = std::env::temp_dir().join(format!("mlobs-ranges-{}-{cut}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        let file = File::open(&path).unwrap();
        let plan = [(0, Kind::Numeric)];
        let layout = Layout {
            plan: &plan,
            width: 2,
        };
        let progress = Progress::new("test", text.len() as u64);
        let end = text.len() as u64;
        let parts = vec![
            read_range(&file, 0, cut, false, layout, &progress).unwrap(),
            read_range(&file, cut, end, cut > 0, layout, &progress).unwrap(),
        ];
        std::fs::remove_file(&path).unwrap();
        match super::super::cells::merge(&plan, parts, &[]).remove(0).1 {
            ColumnData::Numeric(values) => values,
            ColumnData::Categorical(_) => panic!("numeric"),
        }
    }

    #[test]
    fn every_line_is_read_once_wherever_the_ranges_are_cut() {
        let text = "1,a\n22,b\r\n\n333,c\n4,d";
        for cut in 0..=text.len() as u64 {
            assert_eq!(
                read_cut_at(text, cut),
                [1.0, 22.0, 333.0, 4.0],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_short_line_and_a_quote_are_refused_and_the_line_is_found() {
        let path = std::env::temp_dir().join(format!("mlobs-ranges-bad-{}", std::process::id()));
        let plan = [(0, Kind::Numeric)];
        let layout = Layout {
            plan: &plan,
            width: 2,
        };
        let progress = Progress::new("test", 0);
        std::fs::write(&path, "1,a\n2\n").unwrap();
        let file = File::open(&path).unwrap();
        let error = read_range(&file, 0, 6, false, layout, &progress).unwrap_err();
        assert!(
            matches!(
                error,
                RangeError::Width {
                    offset: 4,
                    found: 1
                }
            ),
            "{error:?}"
        );
        assert_eq!(line_at(&file, 4), 2);
        std::fs::write(&path, "1,\"a\"\n").unwrap();
        let file = File::open(&path).unwrap();
        let error = read_range(&file, 0, 6, false, layout, &progress).unwrap_err();
        assert!(matches!(error, RangeError::Quoted), "{error:?}");
        std::fs::remove_file(&path).unwrap();
    }
}
