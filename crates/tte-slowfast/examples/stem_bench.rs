//! Times the `lite` network's two stems on the CPU (Flex): Burn's convolution (im2col + GEMM)
//! against the direct kernel of `tte_slowfast::direct`, on the same input in the same run, and
//! prints median milliseconds and the ratio. Nothing else should run on the machine.
//! `cargo run --release -p tte-slowfast --example stem_bench -- [batch] [channels] [repeats]`
use burn::nn::conv::Conv3dConfig;
use burn::nn::PaddingConfig3d;
use burn::tensor::{Device, Distribution, Tensor};
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let arg = |i: usize, d: usize| {
        std::env::args()
            .nth(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or(d)
    };
    let (batch, channels, repeats) = (arg(1, 2), arg(2, 1), arg(3, 15));
    let device = Device::flex();
    let cfg = tte_slowfast::SlowFastConfig::lite(13);
    let k = cfg.stem_kernel;
    let stems = [
        (
            "fast stem",
            cfg.fast(cfg.stem_width),
            [cfg.fast_stem_temporal, k, k],
            cfg.frames,
        ),
        (
            "slow stem",
            cfg.stem_width,
            [1, k, k],
            cfg.frames / cfg.alpha,
        ),
    ];
    println!("batch {batch}, {channels} input channel(s), {repeats} repeats, median ms");
    println!("| stem | input | Burn conv3d | direct | Burn / direct | max abs difference |");
    println!("|---|---|---|---|---|---|");
    for (name, c_out, kernel, frames) in stems {
        let conv = Conv3dConfig::new([channels, c_out], kernel)
            .with_stride([1, 2, 2])
            .with_padding(PaddingConfig3d::Explicit(
                kernel[0] / 2,
                kernel[1] / 2,
                kernel[2] / 2,
            ))
            .with_bias(false)
            .init(&device);
        let dims = [batch, channels, frames, cfg.crop_size, cfg.crop_size];
        let x = Tensor::<5>::random(dims, Distribution::Normal(0.0, 1.0), &device);
        let (mut burn, mut direct) = (Vec::new(), Vec::new());
        let (mut a, mut b) = (None, None);
        for _ in 0..repeats {
            let t = Instant::now();
            let y = conv.forward(x.clone()).into_data();
            burn.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            let z = tte_slowfast::direct::try_conv3d(&conv, &x)
                .expect("a stem")
                .into_data();
            direct.push(t.elapsed().as_secs_f64() * 1e3);
            (a, b) = (Some(y), Some(z));
        }
        let (y, z) = (
            a.unwrap().try_to_vec::<f32>().unwrap(),
            b.unwrap().try_to_vec::<f32>().unwrap(),
        );
        let diff = y
            .iter()
            .zip(&z)
            .map(|(p, q)| (p - q).abs())
            .fold(0f32, f32::max);
        let (mb, md) = (median(burn), median(direct));
        println!(
            "| {name} ({channels}->{c_out}, {kernel:?}) | {dims:?} | {mb:.1} | {md:.1} | {:.2} | {diff:.1e} |",
            mb / md
        );
    }
    // The stems' 3x3 max pool (stride 2) on their outputs.
    let pool = burn::nn::pool::MaxPool2dConfig::new([3, 3])
        .with_strides([2, 2])
        .with_padding(burn::nn::PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init();
    for (name, c, t) in [
        ("fast stem pool", cfg.fast(cfg.stem_width), cfg.frames),
        ("slow stem pool", cfg.stem_width, cfg.frames / cfg.alpha),
    ] {
        let h = cfg.crop_size / 2;
        let dims = [batch, c, t, h, h];
        let x = Tensor::<5>::random(dims, Distribution::Normal(0.0, 1.0), &device);
        let (mut burn, mut direct) = (Vec::new(), Vec::new());
        for _ in 0..repeats {
            let t0 = Instant::now();
            let _ = pool
                .forward(x.clone().reshape([batch, c * t, h, h]))
                .into_data();
            burn.push(t0.elapsed().as_secs_f64() * 1e3);
            let t0 = Instant::now();
            let _ = tte_slowfast::direct::try_max_pool_3x3_s2(&x)
                .expect("on Flex")
                .into_data();
            direct.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        let (mb, md) = (median(burn), median(direct));
        println!(
            "| {name} | {dims:?} | {mb:.1} | {md:.1} | {:.2} | |",
            mb / md
        );
    }
}
