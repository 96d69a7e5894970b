//! What the report says about the machine: its CPU, memory, kernel and tools, the time, the load.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub node: String,
    pub rustc: String,
}

impl Machine {
    pub fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|line| line.starts_with("model name"))
            .and_then(|line| line.split(':').nth(1))
            .map_or_else(|| "unknown".to_owned(), |model| model.trim().to_owned());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib: f64 = meminfo
            .lines()
            .find(|line| line.starts_with("MemTotal:"))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0.0);
        Machine {
            cpu,
            // Counted from /proc/cpuinfo: after pinning, this process's own parallelism is one core.
            cores: cpuinfo.lines().filter(|line| line.starts_with("processor")).count(),
            memory_gib: memory_kib / 1024.0 / 1024.0,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned(),
            node: command_output("node", &["--version"]),
            rustc: command_output("rustc", &["--version"]),
        }
    }

    pub fn summary(&self) -> String {
        format!(
            "{}, {} cores, {:.1} GiB, Linux {}, Node.js {}, {}",
            self.cpu, self.cores, self.memory_gib, self.kernel, self.node, self.rustc
        )
    }
}

fn command_output(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

pub fn now_utc() -> String {
    command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|load| load.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
