//! Infrastructure issues: GPU out of memory, timeouts, resource contention.
//!
//! - GPU OOM shows as failed predictions of an OOM type; concentrated on
//!   one version (>= 80% of them, and its rate at least 4x any other's) it
//!   is that version's footprint, and that version is named.
//! - Contention shows as latency rising *with* the resources the process
//!   consumes: CPU time per prediction and GPU utilisation rise together
//!   with latency (another workload takes the machine), and the per-window
//!   correlation of latency with them is high.
//! - Timeouts show as errors of a timeout type, or latency rising while CPU
//!   and GPU stay flat: the process waits on something outside it (the
//!   network, a slow dependency) rather than working harder.
//!   Timeout errors while the process works harder are contention's
//!   symptom, and count for contention.

use super::super::evidence::{ErrorEvidence, Evidence, LatencyEvidence};
use super::super::hypothesis::{num, pct, EvidenceLine, Hypothesis};
use super::error_line;
use crate::reason::category::Category;

/// An error type failing at least 1% of a version's predictions matters.
pub const MIN_ERROR_RATE: f64 = 0.01;
/// Latency (p95) at least 1.5x its level before is a latency problem.
pub const MIN_LATENCY_RATIO: f64 = 1.5;
/// CPU time per prediction at least 1.3x, or GPU utilisation up by 0.2 or
/// more, is the process consuming more.
pub const MIN_CPU_RATIO: f64 = 1.3;
/// See [`MIN_CPU_RATIO`].
pub const MIN_GPU_RISE: f64 = 0.2;
/// Correlation of resources with latency that counts as moving together.
pub const MIN_CORRELATION: f64 = 0.7;

fn is_oom(t: &str) -> bool {
    let t = t.to_ascii_lowercase();
    t.contains("oom") || t.contains("out_of_memory")
}

/// `infra.gpu_oom`: inference fails for lack of GPU memory.
pub fn gpu_oom(ev: &Evidence) -> Hypothesis {
    let oom: Vec<&ErrorEvidence> = ev.errors.iter().filter(|e| is_oom(&e.error_type)).collect();
    let Some(worst) = oom.iter().max_by(|a, b| a.rate().total_cmp(&b.rate())) else {
        return Hypothesis::unsupported(Category::InfraGpuOom, "no GPU out-of-memory errors");
    };
    if worst.rate() < MIN_ERROR_RATE {
        return Hypothesis::unsupported(
            Category::InfraGpuOom,
            format!(
                "GPU OOM errors are at most {} of predictions (version {}), below {}",
                pct(worst.rate()),
                worst.version,
                pct(MIN_ERROR_RATE)
            ),
        );
    }
    let total: u64 = oom.iter().map(|e| e.count).sum();
    let share = worst.count as f64 / total.max(1) as f64;
    let next = oom
        .iter()
        .filter(|e| e.version != worst.version)
        .map(|e| e.rate())
        .fold(0.0, f64::max);
    let mut h = Hypothesis::scored(Category::InfraGpuOom, 0.9);
    h.support.push(error_line(ev, worst));
    if share >= 0.8 && worst.rate() >= 4.0 * next && ev.versions.len() > 1 {
        h.version = Some(worst.version.clone());
        h.support.push(EvidenceLine::new(
            format!(
                "version {} has {} of all GPU OOM errors; other versions at most {}",
                worst.version,
                pct(share),
                pct(next)
            ),
            format!("errors.gpu_oom.share.v{}", worst.version),
            share,
            None,
            &ev.sources.errors,
        ));
    } else {
        h.score = 0.8;
        h.against.push(format!(
            "GPU OOM errors are spread over versions (version {} has {} of them)",
            worst.version,
            pct(share)
        ));
    }
    if ev.started_after_symptoms(worst.started_at_ms) {
        h.weaken(0.3, "the OOM errors started after the first alert fired");
    }
    h
}

/// Resource ratios of one version: (latency p95, cpu, gpu rise).
fn ratios(l: &LatencyEvidence) -> (f64, Option<f64>, Option<f64>) {
    let lat = l.p95_ms / l.p95_ms_before.max(1e-9);
    let cpu = match (l.cpu_ms, l.cpu_ms_before) {
        (Some(c), Some(b)) if b > 0.0 => Some(c / b),
        _ => None,
    };
    let gpu = match (l.gpu_utilization, l.gpu_utilization_before) {
        (Some(c), Some(b)) => Some(c - b),
        _ => None,
    };
    (lat, cpu, gpu)
}

fn consumes_more(cpu: Option<f64>, gpu: Option<f64>) -> bool {
    cpu.is_some_and(|c| c >= MIN_CPU_RATIO) || gpu.is_some_and(|g| g >= MIN_GPU_RISE)
}

/// The version whose p95 rose the most, with its ratios.
fn slowest(ev: &Evidence) -> Option<(&LatencyEvidence, f64, Option<f64>, Option<f64>)> {
    ev.latency
        .iter()
        .map(|l| {
            let (a, b, c) = ratios(l);
            (l, a, b, c)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

fn latency_line(ev: &Evidence, l: &LatencyEvidence) -> EvidenceLine {
    EvidenceLine::new(
        format!(
            "version {} p95 latency {} -> {} ms, p99 {} -> {} ms",
            l.version,
            num(l.p95_ms_before),
            num(l.p95_ms),
            num(l.p99_ms_before),
            num(l.p99_ms)
        ),
        format!("latency_p95_ms.v{}", l.version),
        l.p95_ms,
        Some(l.p95_ms_before),
        &ev.sources.latency,
    )
}

/// The version named when only one version's latency rose.
fn only_version(ev: &Evidence, version: &str) -> Option<String> {
    let others_rose = ev
        .latency
        .iter()
        .any(|l| l.version != version && ratios(l).0 >= MIN_LATENCY_RATIO);
    (!others_rose && ev.latency.len() > 1).then(|| version.to_string())
}

/// `infra.resource_contention`: latency rises with CPU time and GPU
/// utilisation (another workload on the machine).
pub fn resource_contention(ev: &Evidence) -> Hypothesis {
    let Some((l, lat, cpu, gpu)) = slowest(ev) else {
        return Hypothesis::unsupported(Category::InfraResourceContention, "no latency figures");
    };
    if lat < MIN_LATENCY_RATIO {
        return Hypothesis::unsupported(
            Category::InfraResourceContention,
            format!(
                "p95 latency rose at most x{} (version {}, {} -> {} ms), below x{}",
                num(lat),
                l.version,
                num(l.p95_ms_before),
                num(l.p95_ms),
                MIN_LATENCY_RATIO
            ),
        );
    }
    if !consumes_more(cpu, gpu) {
        return Hypothesis::unsupported(
            Category::InfraResourceContention,
            format!(
                "latency rose x{} but resources did not: CPU time x{}, GPU utilisation {}",
                num(lat),
                cpu.map_or("n/a".into(), num),
                gpu.map_or("n/a".into(), |g| format!("{g:+.2}"))
            ),
        );
    }
    let mut h = Hypothesis::scored(Category::InfraResourceContention, 0.9);
    h.version = only_version(ev, &l.version);
    h.support.push(latency_line(ev, l));
    let src = &ev.sources.resources;
    if let (Some(c), Some(b)) = (l.cpu_ms, l.cpu_ms_before) {
        h.support.push(EvidenceLine::new(
            format!(
                "CPU time per prediction {} -> {} ms (x{})",
                num(b),
                num(c),
                num(c / b)
            ),
            format!("cpu_ms.v{}", l.version),
            c,
            Some(b),
            src,
        ));
    }
    if let (Some(c), Some(b)) = (l.gpu_utilization, l.gpu_utilization_before) {
        h.support.push(EvidenceLine::new(
            format!("GPU utilisation {} -> {}", pct(b), pct(c)),
            format!("gpu_utilization.v{}", l.version),
            c,
            Some(b),
            src,
        ));
    }
    let corr = l
        .cpu_latency_correlation
        .into_iter()
        .chain(l.gpu_latency_correlation)
        .fold(None, |m: Option<f64>, c| Some(m.map_or(c, |m| m.max(c))));
    match corr {
        Some(c) if c >= MIN_CORRELATION => h.support.push(EvidenceLine::new(
            format!(
                "latency moves with resource usage: correlation {} >= {}",
                num(c),
                MIN_CORRELATION
            ),
            format!("latency_resource_correlation.v{}", l.version),
            c,
            None,
            src,
        )),
        Some(c) => h.weaken(
            0.6,
            format!(
                "correlation of latency with resources is only {} < {}",
                num(c),
                MIN_CORRELATION
            ),
        ),
        None => h.weaken(0.85, "no per-window correlation of latency with resources"),
    }
    if ev.started_after_symptoms(l.started_at_ms) {
        h.weaken(0.3, "latency rose after the first alert fired");
    }
    h
}

/// `infra.timeouts`: inference times out, or latency rises while the
/// process does not work harder.
pub fn timeouts(ev: &Evidence) -> Hypothesis {
    let timeouts = ev
        .errors
        .iter()
        .filter(|e| e.error_type.to_ascii_lowercase().contains("timeout"))
        .max_by(|a, b| a.rate().total_cmp(&b.rate()));
    if let Some(e) = timeouts.filter(|e| e.rate() >= MIN_ERROR_RATE) {
        let mut h = Hypothesis::scored(Category::InfraTimeouts, 0.85);
        h.support.push(error_line(ev, e));
        let others = ev.errors.iter().any(|o| {
            o.version != e.version && o.error_type == e.error_type && o.rate() >= MIN_ERROR_RATE
        });
        if !others && ev.versions.len() > 1 {
            h.version = Some(e.version.clone());
        }
        // Timeouts of a process that works harder are contention's symptom.
        if let Some((l, lat, cpu, gpu)) = slowest(ev) {
            if lat >= MIN_LATENCY_RATIO && consumes_more(cpu, gpu) {
                h.weaken(
                    0.5,
                    format!(
                        "the timeouts came with latency x{} and CPU time x{} on version {}: contention makes them",
                        num(lat),
                        cpu.map_or("n/a".into(), num),
                        l.version
                    ),
                );
            }
        }
        return h;
    }
    let Some((l, lat, cpu, gpu)) = slowest(ev) else {
        return Hypothesis::unsupported(
            Category::InfraTimeouts,
            "no timeout errors and no latency figures",
        );
    };
    if lat < MIN_LATENCY_RATIO {
        return Hypothesis::unsupported(
            Category::InfraTimeouts,
            format!(
                "no timeout errors, and p95 latency rose at most x{} (version {}), below x{}",
                num(lat),
                l.version,
                MIN_LATENCY_RATIO
            ),
        );
    }
    if consumes_more(cpu, gpu) {
        return Hypothesis::unsupported(
            Category::InfraTimeouts,
            format!(
                "no timeout errors, and latency x{} came with CPU time x{} and GPU utilisation {}: the process worked harder, it did not wait",
                num(lat),
                cpu.map_or("n/a".into(), num),
                gpu.map_or("n/a".into(), |g| format!("{g:+.2}"))
            ),
        );
    }
    let mut h = Hypothesis::scored(Category::InfraTimeouts, 0.6);
    h.version = only_version(ev, &l.version);
    h.support.push(latency_line(ev, l));
    h.against
        .push("no timeout errors logged yet; latency rose with CPU and GPU flat".into());
    h
}
