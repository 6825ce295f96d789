//! The floor under `mlobs drift` on CSV files: the time to read the files'
//! bytes (on every core, as `mlobs drift` does) and to find every field's
//! end, without parsing anything. `make bench` prints it beside `mlobs
//! drift`'s time on the same files.
//!
//! usage: csv_floor FILE...

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::time::Instant;

const BLOCK: usize = 4 << 20;

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: csv_floor FILE...");
        std::process::exit(2);
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let started = Instant::now();
    let fields: u64 = std::thread::scope(|scope| {
        let mut threads = Vec::new();
        for path in &paths {
            let file = File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let length = file.metadata().expect("a file has a length").len();
            let file = std::sync::Arc::new(file);
            for i in 0..cores {
                let file = file.clone();
                let (from, to) = (length * i / cores, length * (i + 1) / cores);
                threads.push(scope.spawn(move || fields_in(&file, from, to)));
            }
        }
        threads
            .into_iter()
            .map(|t| t.join().expect("no panic"))
            .sum()
    });
    println!(
        "csv floor: {:.2} s to read {} files and split {fields} fields",
        started.elapsed().as_secs_f64(),
        paths.len()
    );
}

/// Field ends (commas and newlines) in `[from, to)` of `file`.
fn fields_in(file: &File, from: u64, to: u64) -> u64 {
    let mut buf = vec![0u8; BLOCK];
    let (mut at, mut fields) = (from, 0);
    while at < to {
        let want = BLOCK.min((to - at) as usize);
        let read = file.read_at(&mut buf[..want], at).expect("readable");
        if read == 0 {
            break;
        }
        fields += memchr::memchr2_iter(b',', b'\n', &buf[..read]).count() as u64;
        at += read as u64;
    }
    fields
}
