//! Calibration of a trained model's answers on phantom clips it never trained on (held-out seeds,
//! half in the default style, half style-shifted): a temperature for its probabilities, a bias
//! for OTHER, and the probability below which an answer is reported as uncertain. Real clips
//! never enter it; the model card reports what it does to them.

use crate::data::{heldout_seed, make_example, Example, Item};
use crate::metrics::{argmax, ece};
use burn::tensor::{Device, Tensor, TensorData};
use tte_phantom::{Anatomy, Style};
use tte_slowfast::file::calibrate;
use tte_slowfast::{ModelMeta, SlowFast};

/// Answers at or above the uncertainty threshold are to be right this often on the calibration
/// clips.
pub const CONFIDENT_ACCURACY: f64 = 0.9;

/// The OTHER bias may cost at most this much of the overall accuracy it had without one.
pub const OTHER_BIAS_ACCURACY_COST: f64 = 0.01;

/// The OTHER bias keeps standard-view clips answered OTHER at or under this share: "not a
/// standard view" on a clip a sonographer recorded as one is the costlier mistake.
pub const STANDARD_CALLED_OTHER_CAP: f64 = 0.05;

/// The fitted reading and what it does on the calibration clips (before = as the network
/// answers, after = calibrated).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Fit {
    pub clips: usize,
    pub temperature: f32,
    pub other_bias: f32,
    pub unsure_below: f32,
    pub accuracy: [f64; 2],
    pub nll: [f64; 2],
    pub ece: [f64; 2],
    /// Share of OTHER clips answered OTHER, before and after.
    pub other_recall: [f64; 2],
    /// Share of standard-view clips answered OTHER, before and after.
    pub standard_called_other: [f64; 2],
    /// Share of answers at or above the threshold, and their accuracy.
    pub confident_share: f64,
    pub confident_accuracy: f64,
}

/// The calibration clips: `per_class` of each view, from held-out set 3 (training validates on
/// set 1; `tteview eval` and the shipped-model checks use their own seeds), unaugmented, every
/// other one in the style-shifted look.
pub fn calibration_set(
    labels: &[String],
    spec: &tte_preprocess::ClipSpec,
    anatomy: Anatomy,
    per_class: usize,
) -> anyhow::Result<Vec<Example>> {
    let none = crate::augment::AugmentConfig {
        enabled: false,
        ..Default::default()
    };
    let mut out = Vec::with_capacity(labels.len() * per_class);
    for (c, view) in labels.iter().enumerate() {
        for i in 0..per_class {
            let item = Item::Phantom {
                view: view.clone(),
                seed: heldout_seed(3, (c * 10_000 + i) as u64),
                style: if i % 2 == 0 {
                    Style::Default
                } else {
                    Style::Shifted
                },
                anatomy,
            };
            out.push(make_example(&item, c, spec, &none, 0)?);
        }
    }
    Ok(out)
}

/// The network's raw probability rows for prepared clips, as every face computes them
/// (batch norm adapted as the model file says), before any calibration.
pub fn raw_probabilities(
    net: &SlowFast,
    meta: &ModelMeta,
    examples: &[Example],
    device: &Device,
) -> anyhow::Result<Vec<Vec<f32>>> {
    let spec = meta.clip_spec();
    let mut rows = Vec::with_capacity(examples.len());
    // Adapted batch norm takes its statistics from the batch: one clip at a time then, as the
    // CLI and the page run it.
    let batch = if meta.bn_adapt > 0.0 { 1 } else { 8 };
    for chunk in examples.chunks(batch) {
        let data: Vec<f32> = chunk.iter().flat_map(|e| e.data.iter().copied()).collect();
        let shape = [
            chunk.len(),
            spec.channels,
            spec.frames,
            spec.size,
            spec.size,
        ];
        let x = Tensor::<5>::from_data(TensorData::new(data, shape), device);
        let p = net
            .probabilities_adapted(x, meta.bn_adapt as f64)
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        rows.extend(p.chunks(meta.labels.len()).map(<[f32]>::to_vec));
    }
    Ok(rows)
}

fn read(rows: &[Vec<f32>], t: f32, b: f32, other: Option<usize>) -> Vec<Vec<f32>> {
    rows.iter().map(|r| calibrate(r, t, b, other)).collect()
}

fn accuracy(rows: &[Vec<f32>], truth: &[usize]) -> f64 {
    let right = rows
        .iter()
        .zip(truth)
        .filter(|(r, &t)| argmax(r) == t)
        .count();
    right as f64 / rows.len().max(1) as f64
}

fn nll(rows: &[Vec<f32>], truth: &[usize]) -> f64 {
    let sum: f64 = rows
        .iter()
        .zip(truth)
        .map(|(r, &t)| -(r[t].max(1e-12) as f64).ln())
        .sum();
    sum / rows.len().max(1) as f64
}

/// (OTHER recall, share of standard views answered OTHER).
fn other_rates(rows: &[Vec<f32>], truth: &[usize], other: Option<usize>) -> (f64, f64) {
    let Some(o) = other else { return (0.0, 0.0) };
    let (mut hit, mut others, mut false_other, mut standard) = (0, 0, 0, 0);
    for (r, &t) in rows.iter().zip(truth) {
        let said_other = argmax(r) == o;
        if t == o {
            others += 1;
            hit += said_other as usize;
        } else {
            standard += 1;
            false_other += said_other as usize;
        }
    }
    (
        hit as f64 / others.max(1) as f64,
        false_other as f64 / standard.max(1) as f64,
    )
}

/// The lowest threshold (0.30-0.95, in hundredths) at or above which answers are right at least
/// [`CONFIDENT_ACCURACY`] of the time; 0.95 when none is.
fn threshold(rows: &[Vec<f32>], truth: &[usize]) -> f32 {
    let scored: Vec<(f32, bool)> = rows
        .iter()
        .zip(truth)
        .map(|(r, &t)| {
            let best = argmax(r);
            (r[best], best == t)
        })
        .collect();
    (30..=95)
        .map(|h| h as f32 / 100.0)
        .find(|&t| {
            let kept: Vec<bool> = scored.iter().filter(|s| s.0 >= t).map(|s| s.1).collect();
            !kept.is_empty()
                && kept.iter().filter(|&&k| k).count() as f64 / kept.len() as f64
                    >= CONFIDENT_ACCURACY
        })
        .unwrap_or(0.95)
}

/// Fits temperature (least negative log-likelihood), then the OTHER bias: the most OTHER clips
/// found while standard views called OTHER stay at or under [`STANDARD_CALLED_OTHER_CAP`] and
/// accuracy within [`OTHER_BIAS_ACCURACY_COST`] of none (the smallest such bias on a tie; none
/// when no bias meets both), then the threshold.
pub fn fit(rows: &[Vec<f32>], truth: &[usize], other: Option<usize>) -> Fit {
    let temperature = (5..=100)
        .map(|k| k as f32 * 0.05)
        .min_by(|&a, &b| {
            nll(&read(rows, a, 0.0, other), truth)
                .total_cmp(&nll(&read(rows, b, 0.0, other), truth))
        })
        .unwrap_or(1.0);
    let base = accuracy(&read(rows, temperature, 0.0, other), truth);
    let mut other_bias = 0.0f32;
    if other.is_some() {
        // Nearest biases first, so a tie keeps the smaller one.
        let mut grid: Vec<f32> = (-30..=30).map(|k| k as f32 * 0.1).collect();
        grid.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
        let mut best = f64::NEG_INFINITY;
        for b in grid {
            let r = read(rows, temperature, b, other);
            let (recall, false_other) = other_rates(&r, truth, other);
            let ok = false_other <= STANDARD_CALLED_OTHER_CAP
                && accuracy(&r, truth) >= base - OTHER_BIAS_ACCURACY_COST;
            if ok && recall > best + 1e-9 {
                (best, other_bias) = (recall, b);
            }
        }
    }
    let before = rows.to_vec();
    let after = read(rows, temperature, other_bias, other);
    let unsure_below = threshold(&after, truth);
    let kept: Vec<bool> = after
        .iter()
        .zip(truth)
        .filter(|(r, _)| r[argmax(r)] >= unsure_below)
        .map(|(r, &t)| argmax(r) == t)
        .collect();
    let (o0, f0) = other_rates(&before, truth, other);
    let (o1, f1) = other_rates(&after, truth, other);
    Fit {
        clips: rows.len(),
        temperature,
        other_bias,
        unsure_below,
        accuracy: [accuracy(&before, truth), accuracy(&after, truth)],
        nll: [nll(&before, truth), nll(&after, truth)],
        ece: [ece(truth, &before, 15), ece(truth, &after, 15)],
        other_recall: [o0, o1],
        standard_called_other: [f0, f1],
        confident_share: kept.len() as f64 / rows.len().max(1) as f64,
        confident_accuracy: kept.iter().filter(|&&k| k).count() as f64 / kept.len().max(1) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows that put `p` on the guessed class and share the rest evenly over three classes.
    fn row(guess: usize, p: f32) -> Vec<f32> {
        let mut r = vec![(1.0 - p) / 2.0; 3];
        r[guess] = p;
        r
    }

    #[test]
    fn an_over_confident_model_gets_a_temperature_above_one() {
        // 99 % sure and right only 60 % of the time.
        let (mut rows, mut truth) = (Vec::new(), Vec::new());
        for i in 0..100 {
            rows.push(row(i % 2, 0.99));
            truth.push(if i % 5 < 3 { i % 2 } else { 1 - i % 2 });
        }
        let f = fit(&rows, &truth, Some(2));
        assert!(f.temperature > 2.0, "{f:?}");
        assert!(f.nll[1] < f.nll[0] && f.ece[1] < f.ece[0], "{f:?}");
        // Accuracy never reaches 0.9 at any threshold: the strictest one is kept.
        assert_eq!(f.unsure_below, 0.95);
    }

    #[test]
    fn the_threshold_keeps_answers_that_are_right_nine_times_in_ten() {
        // Confident answers right, hesitant ones wrong half the time.
        let (mut rows, mut truth) = (Vec::new(), Vec::new());
        for i in 0..200 {
            let sure = i % 2 == 0;
            rows.push(row(0, if sure { 0.9 } else { 0.5 }));
            truth.push(if sure || i % 4 == 1 { 0 } else { 1 });
        }
        let f = fit(&rows, &truth, Some(2));
        let t = f.unsure_below;
        let kept = rows
            .iter()
            .zip(&truth)
            .filter(|(r, _)| calibrate(r, f.temperature, f.other_bias, Some(2))[0] >= t);
        let right = kept.clone().filter(|(_, &y)| y == 0).count();
        assert!(
            right as f64 / kept.count() as f64 >= CONFIDENT_ACCURACY,
            "{f:?}"
        );
        assert!(f.confident_share > 0.4 && f.confident_share < 0.6, "{f:?}");
    }

    #[test]
    fn a_shy_other_class_is_raised_until_it_is_found() {
        // OTHER clips (class 2) get 0.3 on OTHER and 0.4 on view 0; standard clips 0.1 on OTHER.
        let (mut rows, mut truth) = (Vec::new(), Vec::new());
        for i in 0..60 {
            if i % 3 == 0 {
                rows.push(vec![0.4, 0.3, 0.3]);
                truth.push(2);
            } else {
                rows.push(vec![0.8, 0.1, 0.1]);
                truth.push(0);
            }
        }
        let f = fit(&rows, &truth, Some(2));
        assert!(f.other_bias > 0.0, "{f:?}");
        assert_eq!(f.other_recall, [0.0, 1.0], "{f:?}");
        assert_eq!(f.standard_called_other[1], 0.0, "{f:?}");
        // When standard clips look exactly like the OTHER ones, any bias that finds OTHER calls
        // every standard view OTHER too: none is taken.
        let alike: Vec<Vec<f32>> = truth.iter().map(|_| vec![0.4, 0.3, 0.3]).collect();
        let g = fit(&alike, &truth, Some(2));
        assert_eq!(
            (g.other_bias, g.standard_called_other[1]),
            (0.0, 0.0),
            "{g:?}"
        );
        // Without an OTHER class there is nothing to bias.
        assert_eq!(fit(&rows, &truth, None).other_bias, 0.0);
    }
}
