//! Writes frames of one clip as PNGs: `--example one -- VIEW SEED W H out_prefix [cut|drawn]`.
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let anatomy: tte_phantom::Anatomy = a.get(6).map_or("drawn", |s| s.as_str()).parse().unwrap();
    let mut p =
        tte_phantom::ClipParams::draw(&a[1], a[2].parse().unwrap(), tte_phantom::Style::Default)
            .with_anatomy(anatomy);
    p.width = a[3].parse().unwrap();
    p.height = a[4].parse().unwrap();
    let r = tte_phantom::Renderer::new(p);
    let map = r.label_map(0.0);
    let lab: Vec<u8> = map
        .iter()
        .flat_map(|t| {
            let e = (t.echo().min(1.0) * 255.0) as u8;
            [e, e, if t.is_blood() { 120 } else { e }]
        })
        .collect();
    let file = std::fs::File::create(format!("{}label.png", a[5])).unwrap();
    let mut enc = png::Encoder::new(
        std::io::BufWriter::new(file),
        r.params.width as u32,
        r.params.height as u32,
    );
    enc.set_color(png::ColorType::Rgb);
    enc.write_header().unwrap().write_image_data(&lab).unwrap();
    for (i, t) in [0.0, 0.25].iter().enumerate() {
        let rgb = r.frame_rgb(*t);
        let file = std::fs::File::create(format!("{}{i}.png", a[5])).unwrap();
        let mut enc = png::Encoder::new(
            std::io::BufWriter::new(file),
            r.params.width as u32,
            r.params.height as u32,
        );
        enc.set_color(png::ColorType::Rgb);
        enc.write_header().unwrap().write_image_data(&rgb).unwrap();
    }
}
