//! Times every convolution of the `lite` network's residual stages and lateral connections on
//! the CPU (Flex), each followed by its batch norm: Burn's (`bn.forward(conv.forward(x))`)
//! against `tte_slowfast::gemm_conv` (shifted GEMMs, batch norm folded; every shape it can take,
//! also those the network leaves to Burn because Burn's are faster), on the same input in the
//! same run. Prints median milliseconds per layer and in all. Nothing else should run.
//! `cargo run --release -p tte-slowfast --example conv_bench -- [batch] [repeats]`
use burn::tensor::{Device, Distribution, Tensor};
use std::time::Instant;
use tte_slowfast::model::ConvBn;

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
    let (batch, repeats) = (arg(1, 2), arg(2, 15));
    let device = Device::flex();
    let cfg = tte_slowfast::SlowFastConfig::lite(13);
    let net = cfg.init(&device);
    // Each layer with the frames and size of its input.
    let mut layers: Vec<(String, &ConvBn, usize, usize)> = Vec::new();
    let mut size = cfg.crop_size / 4;
    for s in 0..4 {
        layers.push((format!("fusion {}", s + 1), &net.fusions[s], cfg.frames, size));
        for (path, stages, frames) in [
            ("slow", &net.slow_stages, cfg.frames / cfg.alpha),
            ("fast", &net.fast_stages, cfg.frames),
        ] {
            let stride = cfg.spatial_strides[s];
            for (b, block) in stages[s].blocks.iter().enumerate() {
                let (s_in, st) = if b == 0 { (size, stride) } else { (size / stride, 1) };
                let name = |c: &str| format!("{path} {} block {} {c}", s + 1, b + 1);
                layers.push((name("a"), &block.conv_a, frames, s_in));
                layers.push((name("b"), &block.conv_b, frames, s_in));
                layers.push((name("c"), &block.conv_c, frames, s_in / st));
                if let Some(p) = &block.shortcut {
                    layers.push((name("shortcut"), p, frames, s_in));
                }
            }
        }
        size /= cfg.spatial_strides[s];
    }
    println!("batch {batch}, {repeats} repeats, median ms");
    println!("| layer | kernel | input | Burn conv + bn | gemm_conv | Burn / gemm_conv |");
    println!("|---|---|---|---|---|---|");
    let (mut all_burn, mut all_gemm) = (0.0, 0.0);
    for (name, layer, frames, size) in layers {
        let [_, c_in, kt, kh, kw] = layer.conv.weight.val().dims();
        let dims = [batch, c_in, frames, size, size];
        let x = Tensor::<5>::random(dims, Distribution::Normal(0.0, 1.0), &device);
        let (mut burn, mut gemm) = (Vec::new(), Vec::new());
        for _ in 0..repeats {
            let t = Instant::now();
            let _ = layer.bn.forward(layer.conv.forward(x.clone())).into_data();
            burn.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            let y = tte_slowfast::gemm_conv::conv_bn_any(&layer.conv, &layer.bn, &x);
            let _ = y.expect("a residual-stage layer").into_data();
            gemm.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let (mb, mg) = (median(burn), median(gemm));
        (all_burn, all_gemm) = (all_burn + mb, all_gemm + mg);
        println!(
            "| {name} | {kt}x{kh}x{kw} s{:?} | {dims:?} | {mb:.2} | {mg:.2} | {:.2} |",
            layer.conv.stride,
            mb / mg
        );
    }
    println!(
        "| all | | | {all_burn:.1} | {all_gemm:.1} | {:.2} |",
        all_burn / all_gemm
    );
}
