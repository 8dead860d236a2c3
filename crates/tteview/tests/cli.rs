//! The `tteview` command line as outside checks use it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn tteview(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tteview"))
        .args(args)
        .output()
        .expect("tteview runs")
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tteview-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn info_prints_r50_and_lite_sizes() {
    let r50 = json(&tteview(&[
        "info",
        "--preset",
        "r50",
        "--classes",
        "400",
        "--json",
    ]));
    let params = r50["params"].as_f64().unwrap();
    assert!((params - 34.57e6).abs() / 34.57e6 < 0.001, "{params}");
    let lite = json(&tteview(&["info", "--preset", "lite", "--json"]));
    assert!(lite["params"].as_u64().unwrap() <= 4_000_000);
    assert!(lite["macs"].as_u64().unwrap() <= 1_500_000_000);
    assert_eq!(lite["config"]["crop_size"], 112);
}

fn manifest_rows(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("manifest.csv"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn phantom_writes_every_class_in_every_format_reproducibly() {
    let (a, b) = (tmp("phantom-a"), tmp("phantom-b"));
    for d in [&a, &b] {
        let out = tteview(&[
            "phantom",
            "--out",
            d.to_str().unwrap(),
            "--per-view",
            "1",
            "--seed",
            "5",
            "--formats",
            "mp4,avi,dcm",
            "--max-seconds",
            "1",
            "--max-side",
            "160",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let rows = manifest_rows(&a);
    assert!(rows[0].starts_with("file,view,seed"), "{}", rows[0]);
    assert_eq!(rows.len(), 1 + 13 * 3);
    let views: std::collections::BTreeSet<String> = rows[1..]
        .iter()
        .map(|r| r.split(',').nth(1).unwrap().to_string())
        .collect();
    assert_eq!(views.len(), 13);
    for r in &rows[1..] {
        let file = r.split(',').next().unwrap();
        let (x, y) = (
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
        );
        assert!(x == y, "{file} differs between two runs with the same seed");
        // Every clip opens in the project's own decoders with the format its name says.
        let probe = json(&tteview(&[
            "probe",
            a.join(file).to_str().unwrap(),
            "--json",
        ]));
        let want = match file.rsplit('.').next().unwrap() {
            "dcm" => "dicom",
            other => other,
        };
        assert_eq!(probe["format"], want, "{file}");
        assert!(probe["frames"].as_u64().unwrap() >= 20, "{file}: {probe}");
    }
    assert_eq!(
        std::fs::read(a.join("manifest.csv")).unwrap(),
        std::fs::read(b.join("manifest.csv")).unwrap()
    );
}

#[test]
fn probe_names_the_file_and_reason_for_bad_input() {
    let d = tmp("bad");
    let cases: [(&str, &[u8], &str); 4] = [
        ("empty.dcm", b"", "empty"),
        ("notes.mp4", b"this is a text file, not a video", "text"),
        ("archive.avi", b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "zip"),
        ("truncated.dcm", &[0u8; 140], "DICOM"),
    ];
    for (name, bytes, reason) in cases {
        let path = d.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = tteview(&["probe", path.to_str().unwrap(), "--json"]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{name}: one line, got {err}");
        assert!(err.contains(name), "{name}: {err}");
        assert!(
            err.to_lowercase().contains(&reason.to_lowercase()) || reason == "DICOM",
            "{name}: {err}"
        );
        assert!(
            !err.contains("panicked") && !err.contains("backtrace"),
            "{err}"
        );
    }
}

#[test]
fn contact_sheet_is_a_png() {
    let d = tmp("sheet");
    let path = d.join("sheet.png");
    let out = tteview(&["phantom", "--contact-sheet", path.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(std::fs::read(&path).unwrap().starts_with(b"\x89PNG"));
}

/// One clip of every class in each format, and the manifest.
fn write_phantom_set(dir: &Path, seed: &str, formats: &str, seconds: &str, side: &str) {
    let out = tteview(&[
        "phantom",
        "--out",
        dir.to_str().unwrap(),
        "--per-view",
        "1",
        "--seed",
        seed,
        "--formats",
        formats,
        "--max-seconds",
        seconds,
        "--max-side",
        side,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The shipped model's own threshold for "uncertain" (calibrated, recorded in its header).
fn shipped_unsure_below() -> f32 {
    let device = burn::tensor::Device::flex();
    tte_slowfast::TrainedModel::load(&shipped_model(), &device)
        .expect("the shipped model loads")
        .meta
        .unsure_below
}

fn shipped_model() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/lite.ttev");
    assert!(p.exists(), "the shipped model {} is missing", p.display());
    p
}

#[test]
fn classify_gives_one_row_per_file_and_errors_do_not_stop_the_batch() {
    let d = tmp("classify");
    write_phantom_set(&d, "11", "mp4,avi,dcm", "1.2", "200");
    std::fs::write(d.join("broken.dcm"), b"DICM but not really").unwrap();
    std::fs::write(d.join("empty.mp4"), b"").unwrap();
    let model = shipped_model();
    let out = tteview(&[
        "classify",
        d.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 13 * 3 + 2);
    let errors: Vec<&serde_json::Value> = rows.iter().filter(|r| !r["error"].is_null()).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    for r in rows.iter().filter(|r| r["error"].is_null()) {
        let probs = r["probabilities"].as_object().unwrap();
        assert_eq!(probs.len(), 13);
        let sum: f64 = probs.values().map(|v| v.as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-3);
        // Where the model looked: [x0, y0, x1, y1] on the screen (at most 200 px a side here).
        let sector: Vec<u64> = r["sector"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert!(
            sector.len() == 4
                && sector[0] < sector[2]
                && sector[1] < sector[3]
                && sector[2] <= 200
                && sector[3] <= 200,
            "{sector:?}"
        );
        let confidence = r["confidence"].as_f64().unwrap() as f32;
        assert_eq!(
            r["unsure"].as_bool(),
            Some(confidence < shipped_unsure_below()),
            "unsure flag for confidence {confidence}"
        );
        assert_eq!(r["still"], false, "a phantom clip is a video");
        // Default-style phantom clips are never flagged as too dark to trust.
        let share = r["echo_share"].as_f64().unwrap();
        assert!(
            share > f64::from(tte_preprocess::DARK_SHARE) && share <= 1.0,
            "echo share {share}"
        );
        assert!(
            !r["warnings"].to_string().contains("nearly black"),
            "{}",
            r["warnings"]
        );
        assert_eq!(
            r["view"],
            *probs
                .iter()
                .max_by(|a, b| a.1.as_f64().partial_cmp(&b.1.as_f64()).unwrap())
                .unwrap()
                .0
        );
    }
    // CSV: a header and the same number of rows.
    let out = tteview(&[
        "classify",
        d.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let header = csv_fields(lines.next().unwrap());
    assert_eq!(
        header[..5],
        ["file", "view", "confidence", "error", "p_PLAX"]
    );
    assert_eq!(
        header[header.len() - 4..],
        ["unsure", "echo_share", "warnings", "still"]
    );
    let rows: Vec<Vec<String>> = lines.map(csv_fields).collect();
    assert_eq!(rows.len(), 13 * 3 + 2);
    assert!(rows.iter().all(|r| r.len() == header.len()), "{rows:?}");
    let (errors, answers): (Vec<_>, Vec<_>) = rows.iter().partition(|r| !r[3].is_empty());
    assert_eq!(errors.len(), 2);
    assert!(errors
        .iter()
        .all(|r| r[1].is_empty() && r[header.len() - 4].is_empty()));
    for r in answers {
        let confidence: f32 = r[2].parse().unwrap();
        let unsure = &r[header.len() - 4];
        // Phantom clips are videos, not stills.
        assert_eq!(r[header.len() - 1], "false", "{r:?}");
        assert_eq!(
            unsure == "true",
            confidence < shipped_unsure_below(),
            "{r:?}"
        );
        assert!(unsure == "true" || unsure == "false");
        let share: f32 = r[header.len() - 3].parse().unwrap();
        assert!(share > tte_preprocess::DARK_SHARE && share <= 1.0, "{r:?}");
    }
}

/// The fields of one CSV line, with quoted fields unquoted (commas and doubled quotes inside).
fn csv_fields(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[test]
fn classify_exits_non_zero_only_when_nothing_was_classified() {
    let d = tmp("nothing");
    std::fs::write(d.join("a.dcm"), b"junk").unwrap();
    let out = tteview(&[
        "classify",
        d.join("a.dcm").to_str().unwrap(),
        "--model",
        shipped_model().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"error\""));
}

/// The JSON header of a model file (after the magic, the format version and its length).
fn model_header(path: &std::path::Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap();
    let len = u64::from_le_bytes(bytes[12..20].try_into().unwrap()) as usize;
    serde_json::from_slice(&bytes[20..20 + len]).unwrap()
}

#[test]
fn convert_round_trips_the_shipped_model_and_reports_agreement() {
    // The shipped model may itself be f16; converting to f32 and back must keep its answers.
    let d = tmp("convert");
    let full = d.join("full.ttev");
    let half = d.join("half.ttev");
    let model = shipped_model();
    let out = tteview(&[
        "convert",
        "--model",
        model.to_str().unwrap(),
        "--out",
        full.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = tteview(&[
        "convert",
        "--model",
        full.to_str().unwrap(),
        "--out",
        half.to_str().unwrap(),
        "--half",
        "--blank-colour",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("weights f16") && text.contains("same top view on 13/13"),
        "{text}"
    );
    let (a, b) = (
        std::fs::metadata(&full).unwrap().len() as f64,
        std::fs::metadata(&half).unwrap().len() as f64,
    );
    assert!(b / a < 0.56, "f16 file is {b} bytes, f32 {a}");
    assert_eq!(model_header(&half)["blank_colour"], true);
    // Eight-bit weights (the web download) answer alike; batch-norm adaptation is recorded, and
    // a value outside 0-1 is refused.
    let q8 = d.join("q8.ttev");
    let convert_q8 = |adapt: &str| {
        tteview(&[
            "convert",
            "--model",
            full.to_str().unwrap(),
            "--out",
            q8.to_str().unwrap(),
            "--q8",
            "--bn-adapt",
            adapt,
        ])
    };
    let out = convert_q8("0.25");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("weights q8") && text.contains("same top view on 13/13"),
        "{text}"
    );
    let c = std::fs::metadata(&q8).unwrap().len() as f64;
    assert!(c / a < 0.3, "q8 file is {c} bytes, f32 {a}");
    assert_eq!(model_header(&q8)["bn_adapt"], 0.25);
    // Levelling and colour blanking can be switched off in the written file (the card's
    // with-and-without lines).
    let off = d.join("off.ttev");
    let out = tteview(&[
        "convert",
        "--model",
        q8.to_str().unwrap(),
        "--out",
        off.to_str().unwrap(),
        "--no-levels",
        "--no-blank-colour",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let h = model_header(&off);
    assert_eq!(
        (h["auto_levels"].as_bool(), h["blank_colour"].as_bool()),
        (Some(false), Some(false))
    );
    let out = convert_q8("2");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bn-adapt must lie in 0-1"));
    // A weight average of a model with its own f16 copy: the notes say so, the flags are the first
    // file's, and a weight list that does not fit the models is refused.
    let average = |weights: &str, out: &std::path::Path| {
        tteview(&[
            "convert",
            "--model",
            full.to_str().unwrap(),
            "--average-with",
            half.to_str().unwrap(),
            "--average-weights",
            weights,
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let avg = d.join("avg.ttev");
    let out = average("3,1", &avg);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let header = model_header(&avg);
    assert!(
        header["notes"]
            .as_str()
            .unwrap()
            .contains("weights averaged (3, 1)"),
        "{header}"
    );
    assert_eq!(header["blank_colour"], model_header(&full)["blank_colour"]);
    let wrong = average("1,1,1", &d.join("y"));
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("3 weights for 2 models"));
    let bad = tteview(&[
        "convert",
        "--model",
        "Cargo.toml",
        "--out",
        d.join("x").to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a TTEView model file"));
}

#[test]
fn eval_writes_reports_per_class_and_per_format_and_keeps_going_past_a_broken_file() {
    let d = tmp("eval");
    write_phantom_set(&d, "12", "mp4,dcm", "1", "160");
    // One listed file is not a clip at all.
    std::fs::write(d.join("broken.dcm"), b"DICM but not really").unwrap();
    let mut manifest = std::fs::read_to_string(d.join("manifest.csv")).unwrap();
    manifest += "broken.dcm,A4C,0,dcm,default,0,0,0,0,0,\"\"\n";
    std::fs::write(d.join("manifest.csv"), manifest).unwrap();
    let report_dir = d.join("report");
    let model = shipped_model();
    let out = tteview(&[
        "eval",
        "--data",
        d.join("manifest.csv").to_str().unwrap(),
        "--out",
        report_dir.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(r["n"], 26);
    assert_eq!(r["errors"].as_array().unwrap().len(), 1);
    let accuracy = r["accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&accuracy));
    assert!((0.0..=1.0).contains(&r["macro_f1"].as_f64().unwrap()));
    assert_eq!(r["per_class"].as_array().unwrap().len(), 13);
    let confusion = r["confusion"].as_array().unwrap();
    let total: u64 = confusion
        .iter()
        .flat_map(|row| row.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!((confusion.len(), total), (13, 26));
    let diagonal: u64 = (0..13).map(|i| confusion[i][i].as_u64().unwrap()).sum();
    assert!((accuracy - diagonal as f64 / 26.0).abs() < 1e-9);
    // Each container on its own, adding up to the whole.
    let per_format = r["per_format"].as_object().unwrap();
    assert_eq!(
        per_format.keys().collect::<Vec<_>>(),
        vec!["dcm", "mp4"],
        "{per_format:?}"
    );
    assert_eq!(per_format["dcm"]["n"], 13);
    assert_eq!(per_format["mp4"]["n"], 13);
    let md = std::fs::read_to_string(report_dir.join("report.md")).unwrap();
    assert!(md.contains("| dcm | 13 |"), "{md}");
    let png = std::fs::read(report_dir.join("confusion.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let predictions = std::fs::read_to_string(report_dir.join("predictions.csv")).unwrap();
    assert_eq!(predictions.lines().count(), 1 + 26);
    let right = predictions
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split(',').collect();
            f[1] == f[2]
        })
        .count();
    assert_eq!(right as u64, diagonal);
}

#[test]
fn info_reports_a_model_files_network() {
    let out = tteview(&[
        "info",
        "--model",
        shipped_model().to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let header = model_header(&shipped_model());
    assert_eq!(got["config"], header["config"]);
    assert_eq!(got["input"][1], header["config"]["input_channels"]);
    let preset: serde_json::Value =
        serde_json::from_slice(&tteview(&["info", "--json"]).stdout).unwrap();
    // The shipped network is `lite`, grey or RGB: never more than the RGB preset.
    assert!(got["macs"].as_u64().unwrap() <= preset["macs"].as_u64().unwrap());
    let out = tteview(&["info", "--model", "/nonexistent.ttev"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.ttev"));
}

#[test]
fn calibrate_rewrites_only_the_header_and_classify_reads_it() {
    let d = tmp("calibrate");
    let out_model = d.join("calibrated.ttev");
    let report = d.join("calibration.json");
    let model = shipped_model();
    let out = tteview(&[
        "calibrate",
        "--model",
        model.to_str().unwrap(),
        "--out",
        out_model.to_str().unwrap(),
        "--per-class",
        "2",
        "--json",
        report.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fit: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(fit["clips"], 26, "{fit}");
    let h = model_header(&out_model);
    let t = h["temperature"].as_f64().unwrap();
    let below = h["unsure_below"].as_f64().unwrap();
    assert!(
        (0.25..=5.0).contains(&t) && (0.3..=0.95).contains(&below),
        "{h}"
    );
    assert_eq!(h["temperature"], fit["temperature"]);
    // The weights after the header are the shipped file's, byte for byte.
    let (a, b) = (
        std::fs::read(&model).unwrap(),
        std::fs::read(&out_model).unwrap(),
    );
    let tail = |bytes: &[u8]| {
        let len = u64::from_le_bytes(bytes[12..20].try_into().unwrap()) as usize;
        bytes[20 + len..].to_vec()
    };
    assert!(tail(&a) == tail(&b), "weights changed");
    // classify flags exactly the answers under the recorded threshold.
    let clips = d.join("clips");
    write_phantom_set(&clips, "31", "mp4", "1.0", "160");
    let out = tteview(&[
        "classify",
        clips.to_str().unwrap(),
        "--model",
        out_model.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!rows.is_empty());
    for r in rows.iter().filter(|r| r["error"].is_null()) {
        let c = r["confidence"].as_f64().unwrap();
        assert_eq!(r["unsure"].as_bool(), Some(c < below), "{r}");
        let sum: f64 = r["probabilities"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!(
            (sum - 1.0).abs() < 1e-3,
            "calibrated probabilities sum to {sum}"
        );
    }
}
