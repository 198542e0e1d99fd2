//! The offline base map: a PMTiles file is accepted and its raster tile reaches the map; a
//! broken file is refused with a reason, and the map falls back to the schematic.

mod common;

use dienbien_dispatch::basemap::{Availability, BaseMap, BaseMapChoice};
use std::time::{Duration, Instant};
use walkers::TileId;

fn png_tile() -> Vec<u8> {
    let image = image::RgbaImage::from_pixel(256, 256, image::Rgba([40, 120, 200, 255]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

#[test]
fn an_offline_pmtiles_file_serves_its_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dien-bien-phu.pmtiles");
    common::write_single_tile_pmtiles(&path, &png_tile());
    let ctx = egui::Context::default();
    let mut base_map = BaseMap::start(&BaseMapChoice::Offline(path), &ctx);
    assert_eq!(base_map.availability(), Availability::Available);
    let started = Instant::now();
    loop {
        let tiles = base_map.tiles_to_draw().expect("tiles are drawn");
        if tiles
            .at(TileId {
                x: 0,
                y: 0,
                zoom: 0,
            })
            .is_some()
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the tile never loaded"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_broken_offline_file_is_reported_and_no_tiles_are_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.pmtiles");
    std::fs::write(&path, b"this is not a map").unwrap();
    let ctx = egui::Context::default();
    let mut base_map = BaseMap::start(&BaseMapChoice::Offline(path.clone()), &ctx);
    match base_map.availability() {
        Availability::Offline(reason) => {
            assert_eq!(
                reason,
                format!("{} is not a PMTiles version 3 file", path.display())
            );
        }
        other => panic!("expected offline, got {other:?}"),
    }
    assert!(base_map.tiles_to_draw().is_none());
}
