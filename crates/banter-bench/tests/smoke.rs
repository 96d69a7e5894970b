//! The benchmark harness's smoke run, part of `make test`: every scenario at tiny sizes against every server, the
//! stock socket.io-client cross-checking the generator's counts. It checks that the harness and the servers work
//! and agree; it asserts nothing about speed (performance is measured by `make bench`, never asserted in tests).
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use serde_json::Value;

#[test]
fn a_smoke_run_measures_every_scenario_on_every_server_and_agrees_with_the_stock_client() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-smoke");
    let _ = std::fs::remove_dir_all(&out);
    let status =
        Command::new(env!("CARGO_BIN_EXE_banter-bench")).args(["run", "--smoke", "--out"]).arg(&out).status().unwrap();
    assert!(status.success(), "the smoke run failed: {status}");

    let results: Value = serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    for scenario in ["s1", "s2", "s3", "s4"] {
        let samples = results[scenario].as_array().unwrap();
        // The in-memory host is measured where messages are kept, beside the durable one.
        let in_memory = if matches!(scenario, "s1" | "s2") { &["BanterEphemeral"][..] } else { &[] };
        for server in ["Banter", "Node", "NodeTuned", "Ceiling"].iter().chain(in_memory) {
            let sample = samples.iter().find(|sample| sample["server"] == *server).unwrap();
            assert!(sample["error"].is_null(), "{scenario} on {server} failed: {}", sample["error"]);
        }
    }

    // At these low rates every message reaches every receiver on every server, each once.
    for sample in results["s1"].as_array().unwrap().iter().chain(results["s2"].as_array().unwrap()) {
        for step in sample["result"]["steps"].as_array().unwrap() {
            assert_eq!(step["delivered"], step["expected"], "{}: {step}", sample["server"]);
            assert_eq!(step["max_per_receiver"], step["min_per_receiver"], "{}: {step}", sample["server"]);
            assert_eq!(step["ack_errors"], 0, "{}: {step}", sample["server"]);
            assert!(step["acks"].as_u64().unwrap() >= step["sent"].as_u64().unwrap(), "{}: {step}", sample["server"]);
        }
        assert_eq!(sample["result"]["strays"], 0);
    }

    // The stock client counted exactly what each of the generator's receivers counted.
    for sample in results["s1"].as_array().unwrap() {
        let result = &sample["result"];
        let counts = &result["crosscheck"];
        assert_eq!(counts["duplicates"], 0, "{}", sample["server"]);
        assert_eq!(counts["out_of_order"], 0, "{}", sample["server"]);
        for (index, step) in result["steps"].as_array().unwrap().iter().enumerate() {
            assert_eq!(counts["steps"][index], step["sent"], "{} step {index}", sample["server"]);
            assert_eq!(step["min_per_receiver"], step["sent"], "{} step {index}", sample["server"]);
        }
    }

    for sample in results["s3"].as_array().unwrap() {
        let result = &sample["result"];
        assert!(result["pss_full_bytes"].as_u64().unwrap() > 0, "{}", sample["server"]);
    }
    for sample in results["s4"].as_array().unwrap() {
        let result = &sample["result"];
        assert_eq!(result["connected"], result["clients"], "{}", sample["server"]);
        assert_eq!(result["reconnected"], result["clients"], "{}", sample["server"]);
    }

    // Files: the durable host only; the file came back whole, and chat was measured in every phase.
    let files = results["s5"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    let result = &files[0]["result"];
    assert!(files[0]["error"].is_null(), "S5 failed: {}", files[0]["error"]);
    assert_eq!(result["intact"], true);
    for phase in ["chat_quiet", "chat_upload", "chat_download"] {
        assert!(result[phase]["messages"].as_u64().unwrap() > 0, "no chat measured during {phase}: {result}");
    }

    let report = std::fs::read_to_string(out.join("BENCHMARKS.md")).unwrap();
    for heading in ["## Targets", "## S1", "## S2", "## S3", "## S4", "## S5", "## Cross-check"] {
        assert!(report.contains(heading), "the report has no {heading}");
    }
    assert!(std::fs::read_to_string(out.join("bench-s1-p99.svg")).unwrap().starts_with("<svg"));
}
