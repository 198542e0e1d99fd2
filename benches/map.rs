//! The offline base map: one frame of the city's streets (shapes and their tessellation, what
//! the CPU spends before the GPU draws), at the default zoom (the whole city in view) and
//! close in (street names placed), against the schematic it replaced (graticule and
//! junctions only) in the same run.

use criterion::{Criterion, criterion_group, criterion_main};
use dienbien_dispatch::city_map::CityMap;
use dienbien_dispatch::ui::Schematic;
use walkers::{MapMemory, MercatorProjection, Plugin, Projector, lat_lon};

fn frame(ctx: &egui::Context, city: Option<&CityMap>, zoom: f64) -> usize {
    let input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1600.0, 960.0),
        )),
        ..Default::default()
    };
    let output = ctx.run_ui(input, |ui| {
        let rect = ui.max_rect();
        let response = ui.allocate_rect(rect, egui::Sense::hover());
        let mut memory = MapMemory::default();
        memory.center_at(lat_lon(21.3856, 103.0169));
        memory.set_zoom(zoom).unwrap();
        let projection = MercatorProjection;
        let projector = Projector::new(rect, &projection, &memory, lat_lon(21.3856, 103.0169));
        Box::new(Schematic {
            junctions: &[],
            city,
            data_note: "dữ liệu 2021-08".into(),
        })
        .run(ui, &response, &projector, &memory);
    });
    ctx.tessellate(output.shapes, output.pixels_per_point).len()
}

fn bench(c: &mut Criterion) {
    let city = CityMap::bundled().unwrap();
    let ctx = egui::Context::default();
    // The first frame builds the font atlas.
    frame(&ctx, Some(&city), 14.5);
    let mut group = c.benchmark_group("offline map frame 1600x960");
    for zoom in [14.5, 17.5] {
        group.bench_function(format!("city streets, zoom {zoom}"), |b| {
            b.iter(|| frame(&ctx, Some(&city), zoom))
        });
        group.bench_function(format!("schematic only, zoom {zoom}"), |b| {
            b.iter(|| frame(&ctx, None, zoom))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
