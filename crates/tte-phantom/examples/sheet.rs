//! Writes a contact sheet PNG: `cargo run --release -p tte-phantom --example sheet -- out.png [tile]`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let tile = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(160);
    let (w, h, rgb) = tte_phantom::contact_sheet(&[1, 2, 3], tile);
    let file = std::fs::File::create(&args[1]).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w as u32, h as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.write_header().unwrap().write_image_data(&rgb).unwrap();
}
