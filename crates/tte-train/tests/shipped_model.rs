//! The shipped model classifies freshly generated phantom clips (unseen seeds) about as well as its
//! model card claims (`models/eval/default/report.json`, measured by `scripts/evaluate.sh`).

use tte_phantom::{ClipParams, Renderer, Style};
use tte_slowfast::TrainedModel;

#[test]
fn shipped_model_matches_its_card_on_fresh_unseen_clips() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let device = burn::tensor::Device::flex();
    let model = TrainedModel::load(&root.join("models/lite.ttev"), &device)
        .expect("the shipped model loads");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("models/eval/default/report.json"))
            .expect("the model card's report exists"),
    )
    .unwrap();
    let claimed = report["accuracy"].as_f64().unwrap();

    let spec = model.meta.clip_spec();
    // The phantom the model was trained on (its header says), as the card's test set is drawn.
    let anatomy: tte_phantom::Anatomy = model.meta.anatomy.parse().unwrap();
    let per_class = 3;
    let (mut correct, mut total) = (0usize, 0usize);
    for (c, view) in model.meta.labels.iter().enumerate() {
        for i in 0..per_class {
            // Seeds from a range no training run or test set uses.
            let p = ClipParams::draw(view, (5u64 << 41) + (c * 100 + i) as u64, Style::Default)
                .with_anatomy(anatomy)
                .with_max_side(320);
            let r = Renderer::new(p);
            let times = r.params.frame_times();
            let idx = tte_preprocess::plan(&times, &spec);
            let picked: Vec<f64> = idx.iter().map(|&k| times[k]).collect();
            let frames = r.frames_at(&picked);
            let data = tte_train::data::prepare_in_order(&frames, &[], &spec).unwrap();
            let prepared = tte_preprocess::Prepared {
                data,
                spec: spec.clone(),
                sector: tte_frames::Rect {
                    x0: 0,
                    y0: 0,
                    x1: 0,
                    y1: 0,
                },
                indices: idx,
                sector_from_metadata: false,
                // Not measured here: this test scores the views, not the dark-picture warning.
                echo_share: 1.0,
            };
            let probs = tte_pipeline::infer(&model, &[&prepared], &device)
                .unwrap()
                .remove(0);
            correct += usize::from(tte_train::metrics::argmax(&probs) == c);
            total += 1;
        }
    }
    let accuracy = correct as f64 / total as f64;
    // 39 clips: allow three binomial standard deviations below the claim.
    let sd = (claimed * (1.0 - claimed) / total as f64).sqrt().max(0.02);
    println!("fresh accuracy {accuracy:.3} on {total} clips; card claims {claimed:.3}");
    assert!(
        accuracy >= claimed - 3.0 * sd,
        "fresh accuracy {accuracy:.3} is below the card's {claimed:.3}"
    );
}
