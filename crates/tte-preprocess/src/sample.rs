//! Choosing which frames the model sees: by time, not by index, so 20 fps and 90 fps clips of the
//! same heart cover the same stretch of the cardiac cycle.

/// Indices of `count` frames spread uniformly over a window of `window_s` seconds starting at
/// `start_s` (clamped so the window stays inside the clip). The window shrinks to the whole clip
/// when the clip is shorter; `window_s <= 0` means the whole clip.
///
/// `times` are the frames' display times in seconds, non-decreasing. Each target time takes the
/// frame on screen at that moment (the last one shown at or before it).
pub fn sample_indices(times: &[f64], count: usize, window_s: f64, start_s: f64) -> Vec<usize> {
    if times.is_empty() || count == 0 {
        return Vec::new();
    }
    let first = times[0];
    let duration = clip_duration(times);
    let window = if window_s <= 0.0 || window_s > duration {
        duration
    } else {
        window_s
    };
    let start = first + start_s.clamp(0.0, (duration - window).max(0.0));
    let step = window / count as f64;
    // Frames are taken at the middle of each of `count` equal slots, so the window is covered evenly
    // and the choice does not hinge on rounding at the slot edges.
    (0..count)
        .map(|i| {
            let t = start + step * (i as f64 + 0.5);
            frame_at(times, t)
        })
        .collect()
}

pub use tte_frames::clip_duration;

/// Index of the last frame whose time is at or before `t` (the first frame for earlier times).
fn frame_at(times: &[f64], t: f64) -> usize {
    let after = times.partition_point(|&x| x <= t + 1e-9);
    after.saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn uniform(fps: f64, seconds: f64) -> Vec<f64> {
        let n = (fps * seconds).round() as usize;
        (0..n).map(|i| i as f64 / fps).collect()
    }

    #[test]
    fn a_one_second_window_covers_one_second_at_any_rate() {
        for fps in [20.0, 30.0, 50.0, 90.0] {
            let times = uniform(fps, 3.0);
            let idx = sample_indices(&times, 16, 1.0, 0.0);
            assert_eq!(idx.len(), 16);
            let (a, b) = (times[idx[0]], times[idx[15]]);
            assert!(
                a < 0.05 && (0.85..1.0).contains(&b),
                "{fps} fps covers {a}..{b}"
            );
        }
    }

    #[test]
    fn short_clips_use_all_of_themselves_and_repeat_frames() {
        let times = uniform(20.0, 0.4); // 8 frames
        let idx = sample_indices(&times, 16, 1.0, 0.0);
        assert_eq!(idx.len(), 16);
        assert_eq!(idx[0], 0);
        assert_eq!(*idx.last().unwrap(), 7);
        assert!(idx.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn uneven_timestamps_are_followed() {
        // A clip that stalls: ten frames in the first 0.1 s, then one frame every 0.1 s.
        let mut times: Vec<f64> = (0..10).map(|i| i as f64 * 0.01).collect();
        times.extend((1..10).map(|i| i as f64 * 0.1));
        let idx = sample_indices(&times, 8, 0.0, 0.0);
        let picked: Vec<f64> = idx.iter().map(|&i| times[i]).collect();
        // By index most picks would land in the burst; by time they spread out.
        assert!(
            picked.iter().filter(|&&t| t < 0.1).count() <= 2,
            "{picked:?}"
        );
    }

    proptest! {
        #[test]
        fn picks_are_sorted_in_range_and_match_across_frame_rates(
            fps_a in 15.0f64..120.0, fps_b in 15.0f64..120.0, seconds in 0.3f64..5.0,
            count in 1usize..40, window in 0.0f64..3.0, start in 0.0f64..3.0,
        ) {
            let (ta, tb) = (uniform(fps_a, seconds), uniform(fps_b, seconds));
            prop_assume!(ta.len() >= 2 && tb.len() >= 2);
            let (ia, ib) = (sample_indices(&ta, count, window, start), sample_indices(&tb, count, window, start));
            prop_assert_eq!(ia.len(), count);
            prop_assert!(ia.windows(2).all(|w| w[0] <= w[1]));
            prop_assert!(ia.iter().all(|&i| i < ta.len()));
            // The same moment is chosen within a frame interval of either clip (plus the duration
            // estimate's own rounding), whatever the rates.
            let tol = 1.0 / fps_a + 1.0 / fps_b + 0.02;
            for (a, b) in ia.iter().zip(&ib) {
                prop_assert!((ta[*a] - tb[*b]).abs() <= tol + (clip_duration(&ta) - clip_duration(&tb)).abs(),
                    "{} vs {}", ta[*a], tb[*b]);
            }
        }
    }
}
