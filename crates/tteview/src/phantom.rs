//! `tteview phantom`: writes a labelled phantom data set in the formats clinics export, or the
//! contact sheet.

use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use tte_phantom::{Anatomy, ClipParams, Renderer, Style};

#[derive(clap::Args)]
pub struct Args {
    /// Output folder (created); gets one file per clip and format plus manifest.csv.
    #[arg(long, required_unless_present_any = ["contact_sheet", "legend"])]
    out: Option<PathBuf>,
    /// Clips of every class (the 12 views and OTHER).
    #[arg(long, default_value_t = 1)]
    per_view: usize,
    /// Seed of the whole set: the same arguments give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Comma-separated: mp4 (H.264), avi (MJPEG), dcm (DICOM, JPEG Baseline).
    #[arg(long, default_value = "mp4,avi,dcm")]
    formats: String,
    /// `default`, or `shifted` for nuisance settings outside the training ranges.
    #[arg(long, default_value = "default")]
    style: Style,
    /// `cut` (phantom v2: every view cut from a 3-D chest by a hand-jittered plane) or `drawn`
    /// (v1, the 2-D views the shipped model was trained on).
    #[arg(long, default_value = "drawn")]
    anatomy: Anatomy,
    /// Cap clip length in seconds (the phantom draws 1-5 s).
    #[arg(long)]
    max_seconds: Option<f32>,
    /// Cap the longer image side in pixels (the phantom draws 112 to 1024), keeping the aspect.
    #[arg(long)]
    max_side: Option<usize>,
    /// Write the contact sheet (every class under a few settings) to this PNG instead.
    #[arg(long)]
    contact_sheet: Option<PathBuf>,
    /// Write one example PNG per class (CODE.png) into this folder instead (the web app's legend).
    #[arg(long)]
    legend: Option<PathBuf>,
}

/// Seeds of phantom data sets written by this command: offset far from the training range.
pub fn clip_seed(set_seed: u64, class: usize, i: usize) -> u64 {
    (3u64 << 41)
        + set_seed
            .wrapping_mul(1_000_003)
            .wrapping_add((class * 100_000 + i) as u64)
            % (1u64 << 40)
}

pub fn run(args: Args) -> Result<()> {
    if let Some(path) = &args.contact_sheet {
        let (w, h, rgb) = tte_phantom::contact_sheet(&[1, 2, 3], 160, args.anatomy);
        write_png(path, w, h, &rgb)?;
        println!("wrote {} ({w}x{h})", path.display());
        return Ok(());
    }
    if let Some(dir) = &args.legend {
        std::fs::create_dir_all(dir)?;
        for view in tte_phantom::classes() {
            let mut p = ClipParams::draw(&view, 4, Style::Default).with_anatomy(args.anatomy);
            (p.width, p.height, p.mirrored) = (192, 192, false);
            p.overlays.letterbox = [0; 4];
            let rgb = Renderer::new(p).frame_rgb(0.1);
            write_png(&dir.join(format!("{view}.png")), 192, 192, &rgb)?;
        }
        println!("wrote the legend to {}", dir.display());
        return Ok(());
    }
    let out = args.out.clone().expect("clap requires --out");
    let formats: Vec<String> = args
        .formats
        .split(',')
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    for f in &formats {
        if !["mp4", "avi", "dcm"].contains(&f.as_str()) {
            bail!("unknown format `{f}`; use mp4, avi or dcm");
        }
    }
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let classes = tte_phantom::classes();
    let jobs: Vec<(usize, usize)> = (0..classes.len())
        .flat_map(|c| (0..args.per_view).map(move |i| (c, i)))
        .collect();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let rows = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| -> Result<()> {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| -> Result<()> {
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&(c, i)) = jobs.get(k) else {
                            return Ok(());
                        };
                        let made = write_clip(
                            &out,
                            &classes[c],
                            clip_seed(args.seed, c, i),
                            &args,
                            &formats,
                        )?;
                        rows.lock().unwrap().push((k, made));
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("phantom worker panicked")?;
        }
        Ok(())
    })?;
    let mut rows = rows.into_inner().unwrap();
    rows.sort_by_key(|r| r.0);
    let mut csv = std::fs::File::create(out.join("manifest.csv"))?;
    writeln!(
        csv,
        "file,view,seed,format,style,width,height,fps,duration_s,frames,params"
    )?;
    let mut n = 0;
    for (_, lines) in rows {
        for line in lines {
            writeln!(csv, "{line}")?;
            n += 1;
        }
    }
    println!("wrote {n} clips and manifest.csv to {}", out.display());
    Ok(())
}

/// Renders one clip and writes it in every format; returns its manifest rows.
fn write_clip(
    out: &Path,
    view: &str,
    seed: u64,
    args: &Args,
    formats: &[String],
) -> Result<Vec<String>> {
    let mut p = ClipParams::draw(view, seed, args.style).with_anatomy(args.anatomy);
    if let Some(s) = args.max_seconds {
        p.duration_s = p.duration_s.min(s);
    }
    if let Some(side) = args.max_side {
        p = p.with_max_side(side);
    }
    let r = Renderer::new(p.clone());
    let frames = r.all_frames();
    let params = serde_json::to_string(&p)?.replace('"', "\"\"");
    let stem = format!("{}_{seed}", view.to_lowercase());
    let mut rows = Vec::new();
    for f in formats {
        let bytes = match f.as_str() {
            "mp4" => tte_export::write_mp4(&frames, p.fps)?,
            "avi" => tte_export::write_avi(&frames, p.fps, 90)?,
            _ => tte_export::write_dicom(
                &frames,
                &tte_export::DicomInfo {
                    id: seed,
                    fps: p.fps,
                    regions: r.regions(),
                    series_description: format!("TTEView phantom {view}"),
                },
                90,
            )?,
        };
        let name = format!("{stem}.{f}");
        std::fs::write(out.join(&name), bytes)?;
        rows.push(format!(
            "{name},{view},{seed},{f},{},{},{},{:.3},{:.3},{},\"{params}\"",
            match args.style {
                Style::Default => "default",
                Style::Shifted => "shifted",
            },
            p.width,
            p.height,
            p.fps,
            p.duration_s,
            frames.len()
        ));
    }
    Ok(rows)
}

pub fn write_png(path: &Path, w: usize, h: usize, rgb: &[u8]) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w as u32, h as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.write_header()?.write_image_data(rgb)?;
    Ok(())
}
