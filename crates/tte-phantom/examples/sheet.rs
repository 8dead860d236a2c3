//! Writes a contact sheet PNG:
//! `cargo run --release -p tte-phantom --example sheet -- out.png [tile] [cut|drawn] [seeds,...]`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let tile = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(160);
    let anatomy = args
        .get(3)
        .map_or(Ok(tte_phantom::Anatomy::Drawn), |s| s.parse())
        .unwrap();
    let seeds: Vec<u64> = args.get(4).map_or(vec![1, 2, 3], |s| {
        s.split(',').map(|x| x.parse().unwrap()).collect()
    });
    let (w, h, rgb) = tte_phantom::contact_sheet(&seeds, tile, anatomy);
    let file = std::fs::File::create(&args[1]).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w as u32, h as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.write_header().unwrap().write_image_data(&rgb).unwrap();
}
