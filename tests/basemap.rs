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

/// A tile server on 127.0.0.1 that answers every request with one PNG, and records the
/// request lines and user agents it saw. It serves at most `limit` connections.
fn local_tile_server(
    png: Vec<u8>,
    limit: usize,
) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead as _, BufReader, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = std::sync::Arc::clone(&seen);
    std::thread::Builder::new()
        .name("test-tile-server".into())
        .spawn(move || {
            for stream in listener.incoming().take(limit) {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = Vec::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    request.push(line.trim_end().to_owned());
                }
                log.lock().unwrap().extend(request);
                let header = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nCache-Control: max-age=86400\r\nConnection: close\r\n\r\n",
                    png.len()
                );
                let _ = stream.write_all(header.as_bytes());
                let _ = stream.write_all(&png);
            }
        })
        .unwrap();
    (port, seen)
}

#[test]
fn online_tiles_load_from_a_tile_server_and_name_the_console() {
    let (port, seen) = local_tile_server(png_tile(), 64);
    let cache = tempfile::tempdir().unwrap();
    let choice = BaseMapChoice::Online {
        url_template: format!("http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png"),
        attribution: "test tiles".into(),
        cache_dir: cache.path().to_owned(),
    };
    let ctx = egui::Context::default();
    let mut base_map = BaseMap::start(&choice, &ctx);
    let started = Instant::now();
    loop {
        let loaded = base_map.tiles_to_draw().is_some_and(|tiles| {
            tiles
                .at(TileId {
                    x: 0,
                    y: 0,
                    zoom: 0,
                })
                .is_some()
        });
        if loaded && base_map.availability() == Availability::Available {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "tile or probe never arrived: {:?}",
            base_map.availability()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter().any(|l| l.starts_with("GET /0/0/0.png ")),
        "{seen:?}"
    );
    // The tile went into the on-disk cache.
    let cached = std::fs::read_dir(cache.path()).map_or(0, |d| d.count());
    assert!(cached > 0, "the tile cache folder is empty");
    assert!(
        seen.iter().any(|l| l.eq_ignore_ascii_case(&format!(
            "user-agent: dienbien-dispatch/{}",
            env!("CARGO_PKG_VERSION")
        ))),
        "{seen:?}"
    );
}
