//! Prints the label map of phantom v2 cuts as text, to see the 3-D chest's views without
//! rendering them: `cargo run --release -p tte-phantom --example cuts -- [VIEW...] [--seed N]`.
use tte_phantom::anatomy::Tissue;
use tte_phantom::{ClipParams, Renderer, Style};

fn glyph(t: Tissue) -> char {
    use Tissue::*;
    match t {
        Background => ' ',
        Myocardium => '#',
        Pericardium => '=',
        Effusion => '~',
        Valve => '|',
        Papillary => 'P',
        VesselWall => '+',
        Liver => ':',
        Kidney | KidneySinus => 'K',
        Mediastinum => 'M',
        Lv => 'L',
        Rv => 'R',
        La => 'a',
        Ra => 'r',
        Aorta => 'O',
        Lvot => 'o',
        PulmonaryArtery => 'p',
        Ivc => 'I',
        HepaticVein => 'h',
        DescendingAorta => 'D',
        Vessel => 'v',
        Bone => 'B',
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seed = args
        .iter()
        .position(|a| a == "--seed")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(1u64);
    let views: Vec<String> = args
        .iter()
        .take_while(|a| *a != "--seed" && *a != "--levels")
        .cloned()
        .collect();
    let views = if views.is_empty() {
        tte_phantom::classes()
    } else {
        views
    };
    if args.iter().any(|a| a == "--levels") {
        use tte_phantom::chest::{Body, Chest};
        let p = ClipParams::draw("A4C", seed, Style::Default);
        let c = Chest::build(
            &p.patient,
            &Body {
                turn: 0.0,
                rv: 1.0,
                contractility: 1.0,
                pericardium_cm: 0.25,
                lv_wall_cm: 0.8,
                akinetic_apex: 0.0,
            },
            &tte_phantom::anatomy::Motion::at(0.0, 0.0),
        );
        let l = &c.landmarks;
        let lv = |x: [f32; 3]| (0..3).map(|i| (x[i] - l.apex[i]) * l.axis[i]).sum::<f32>();
        for code in tte_phantom::chest::STANDARD_VIEWS {
            let pl = c.standard_plane(code);
            let centre = pl.point(0.0, 7.5);
            println!(
                "{code}: probe {:?} beam {:?} centre level {:.2}",
                pl.origin.map(|x| (x * 10.0).round() / 10.0),
                pl.v.map(|x| (x * 100.0).round() / 100.0),
                lv(centre)
            );
        }
        for code in ["A4C", "A2C", "A3C", "PSAX-MV"] {
            let pl = c.standard_plane(code);
            let n = pl.normal();
            let off = |x: [f32; 3]| (0..3).map(|i| (x[i] - pl.origin[i]) * n[i]).sum::<f32>();
            println!(
                "{code}: off-plane aortic {:.2} mitral {:.2} tricuspid {:.2} apex {:.2}",
                off(l.aortic),
                off(l.mitral),
                off(l.tricuspid),
                off(l.apex)
            );
        }
        println!(
            "mitral {:.2} tips {:.2} aortic {:.2} tricuspid {:.2} pm {:.2}",
            lv(l.mitral),
            lv(l.mitral_tips),
            lv(l.aortic),
            lv(l.tricuspid),
            lv(l.papillary_level)
        );
        return;
    }
    for v in views {
        let mut p = ClipParams::draw(&v, seed, Style::Default).with_cut_anatomy();
        p.pose = [0.0, 1.0, 0.0, 0.0];
        let cut = p.cut.clone();
        let scene = Renderer::new(p.with_max_side(64)).scene_at(0.0);
        println!("== {v} {:?}", cut.map(|c| (c.from_view, c.distance)));
        // 0.25 cm across, 0.5 cm down: 16 cm either side of the beam, 17 cm deep.
        for row in 0..34 {
            let line: String = (0..96)
                .map(|x| glyph(scene.tissue_at([(x as f32 - 48.0) * 0.25, row as f32 * 0.5])))
                .collect();
            println!("{}", line.trim_end());
        }
    }
}
