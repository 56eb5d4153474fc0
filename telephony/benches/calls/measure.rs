//! What the benchmark measures with: the gateway process's CPU and memory, percentiles, the
//! wall clock shared by both processes, and recording bytes on disk.

use std::time::{SystemTime, UNIX_EPOCH};

/// A process to watch (the gateway's), sampled from `/proc`.
pub(crate) struct Proc {
    pub(crate) pid: u32,
}

impl Proc {
    /// (user + system CPU seconds, resident memory KiB).
    pub(crate) fn sample(&self) -> (f64, u64) {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        // Fields after the command: state is [0]; utime [11], stime [12].
        let cpu = (ticks(11) + ticks(12)) / 100.0;
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        let rss = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        (cpu, rss)
    }
}

/// The value at fraction `p` of `sorted` (0 when empty).
pub(crate) fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The wall clock in µs, comparable across the two processes.
pub(crate) fn wall_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The bytes of the files directly in `dir`.
pub(crate) fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}
