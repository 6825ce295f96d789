//! One helper for the few places the command line spreads independent work
//! over the cores (a feature's statistics in `mlobs drift`). A queue and
//! scoped threads are all it takes; rayon would add its thread pool and
//! four crates to the build for this one call (docs/architecture.md).

use std::sync::Mutex;

/// `f` applied to every item, on as many threads as there are cores, each
/// taking the next item when it is done; results in the items' order.
pub fn map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(items.len()).max(1);
    let queue = Mutex::new(items.into_iter().enumerate());
    let next = || queue.lock().expect("no thread panics holding it").next();
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut results = Vec::new();
                    while let Some((i, item)) = next() {
                        results.push((i, f(item)));
                    }
                    results
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("the work does not panic"))
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_item_once_in_order() {
        let squares = super::map((0..1000u64).collect(), |x| x * x);
        assert_eq!(squares, (0..1000u64).map(|x| x * x).collect::<Vec<_>>());
        assert!(super::map(Vec::<u8>::new(), |x| x).is_empty());
    }
}
