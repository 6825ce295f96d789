//! Memory per waiting prediction in the join, measured with a counting
//! allocator: the operators issue allows at most 64 bytes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use mlobs_operators::join::{key_of, Join, Value};

struct Counting;

static ALLOCATED: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ALLOCATED.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn a_waiting_prediction_costs_at_most_64_bytes() {
    // Sizes right after the table grows (worst case) and just before (best).
    for n in [100_000u32, 458_753, 917_504, 1_000_000, 1_835_009] {
        let ids: Vec<String> = (0..n).map(|i| format!("prediction-{i:08}")).collect();
        let before = ALLOCATED.load(Ordering::Relaxed);
        let mut join = Join::new(3_600_000, 1_000);
        for (i, id) in ids.iter().enumerate() {
            join.on_prediction(
                key_of(id),
                (i % 7) as u32,
                1_764_000_000_000 + i as i64,
                Value::Class(1),
                Some(0.9),
            );
        }
        let bytes = (ALLOCATED.load(Ordering::Relaxed) - before) as f64 / f64::from(n);
        eprintln!("{n} waiting predictions: {bytes:.1} bytes each");
        assert_eq!(join.predictions(), n as usize);
        assert!(
            bytes <= 64.0,
            "{n} waiting predictions cost {bytes:.1} bytes each"
        );
    }
}
