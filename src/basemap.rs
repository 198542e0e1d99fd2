//! The base map under the cameras: online raster tiles from a URL template with an on-disk
//! cache, a local PMTiles file for air-gapped command centres, or none. It also checks, on a
//! named background thread, whether the online tile server can be reached at all, so the map
//! can say "tiles offline" and fall back to the junction schematic instead of staying blank.

use crate::config::MapConfig;
use std::io::Read as _;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use walkers::sources::{Attribution, TileSource};
use walkers::{HeaderValue, HttpOptions, HttpTiles, PmTiles, TileId, Tiles};

/// Which base map to use, resolved from the command line and the configuration.
#[derive(Debug, Clone, PartialEq)]
pub enum BaseMapChoice {
    Online {
        url_template: String,
        attribution: String,
        cache_dir: PathBuf,
    },
    Offline(PathBuf),
    None,
}

/// Whether tiles can be shown.
#[derive(Debug, Clone, PartialEq)]
pub enum Availability {
    Checking,
    Available,
    /// Tiles cannot be loaded; the reason says why.
    Offline(String),
    NotConfigured,
}

impl BaseMapChoice {
    /// `--tiles` overrides the configuration: `none`, a URL template, or a `.pmtiles` path.
    pub fn resolve(cli_tiles: Option<&str>, map: &MapConfig, default_cache: &Path) -> Self {
        let cache_dir = map
            .cache_dir
            .clone()
            .unwrap_or_else(|| default_cache.to_owned());
        match cli_tiles.map(str::trim) {
            Some("none") => return Self::None,
            Some(text) if text.starts_with("http://") || text.starts_with("https://") => {
                return Self::Online {
                    url_template: text.to_owned(),
                    attribution: map.attribution.clone(),
                    cache_dir,
                };
            }
            Some(path) => return Self::Offline(PathBuf::from(path)),
            None => {}
        }
        if let Some(path) = &map.offline_file {
            return Self::Offline(path.clone());
        }
        if map.tile_url.trim().is_empty() {
            return Self::None;
        }
        Self::Online {
            url_template: map.tile_url.clone(),
            attribution: map.attribution.clone(),
            cache_dir,
        }
    }
}

/// The tiles and their availability, kept for the life of the map.
pub struct BaseMap {
    tiles: Option<Box<dyn Tiles>>,
    availability: Arc<Mutex<Availability>>,
}

impl BaseMap {
    /// Builds the tile source; the reachability check of an online source runs in the background.
    pub fn start(choice: &BaseMapChoice, ctx: &egui::Context) -> Self {
        match choice {
            BaseMapChoice::None => Self::without_tiles(Availability::NotConfigured),
            BaseMapChoice::Offline(path) => match check_pmtiles(path) {
                Ok(()) => Self {
                    tiles: Some(Box::new(PmTiles::new(path, ctx.clone()))),
                    availability: Arc::new(Mutex::new(Availability::Available)),
                },
                Err(reason) => {
                    tracing::warn!(path = %path.display(), %reason, "offline map not usable");
                    Self::without_tiles(Availability::Offline(reason))
                }
            },
            BaseMapChoice::Online {
                url_template,
                attribution,
                cache_dir,
            } => {
                let availability = Arc::new(Mutex::new(Availability::Checking));
                spawn_probe(url_template, Arc::clone(&availability), ctx.clone());
                let source = TemplateSource {
                    template: url_template.clone(),
                    // walkers wants a 'static attribution; it is made once per start.
                    attribution: Box::leak(attribution.clone().into_boxed_str()),
                };
                let options = HttpOptions {
                    cache: Some(cache_dir.clone()),
                    // Tile servers (OpenStreetMap's policy) ask clients to name themselves.
                    user_agent: Some(HeaderValue::from_static(concat!(
                        "dienbien-dispatch/",
                        env!("CARGO_PKG_VERSION")
                    ))),
                    ..HttpOptions::default()
                };
                Self {
                    tiles: Some(Box::new(HttpTiles::with_options(
                        source,
                        options,
                        ctx.clone(),
                    ))),
                    availability,
                }
            }
        }
    }

    fn without_tiles(availability: Availability) -> Self {
        Self {
            tiles: None,
            availability: Arc::new(Mutex::new(availability)),
        }
    }

    pub fn availability(&self) -> Availability {
        self.availability
            .lock()
            .map(|a| a.clone())
            .unwrap_or(Availability::Checking)
    }

    /// The tiles to draw, or `None` when they cannot be shown.
    pub fn tiles_to_draw(&mut self) -> Option<&mut dyn Tiles> {
        match self.availability() {
            Availability::Available | Availability::Checking => {
                self.tiles.as_mut().map(|t| t.as_mut() as &mut dyn Tiles)
            }
            Availability::Offline(_) | Availability::NotConfigured => None,
        }
    }
}

struct TemplateSource {
    template: String,
    attribution: &'static str,
}

impl TileSource for TemplateSource {
    fn tile_url(&self, tile_id: TileId) -> String {
        self.template
            .replace("{z}", &tile_id.zoom.to_string())
            .replace("{x}", &tile_id.x.to_string())
            .replace("{y}", &tile_id.y.to_string())
    }

    fn attribution(&self) -> Attribution {
        Attribution {
            text: self.attribution,
            url: "",
            logo_light: None,
            logo_dark: None,
        }
    }
}

/// A PMTiles v3 file starts with the magic "PMTiles" and the version byte 3.
fn check_pmtiles(path: &Path) -> Result<(), String> {
    let mut header = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .map_err(|e| format!("cannot read offline map {}: {e}", path.display()))?;
    if &header[..7] != b"PMTiles" || header[7] != 3 {
        return Err(format!(
            "{} is not a PMTiles version 3 file",
            path.display()
        ));
    }
    Ok(())
}

/// Host and port of a tile URL template, for the reachability check.
pub fn host_and_port(url_template: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url_template.split_once("://")?;
    let authority = rest.split('/').next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let default_port = if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    };
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') && port.chars().all(|c| c.is_ascii_digit()) => {
            Some((host.to_owned(), port.parse().ok()?))
        }
        _ => Some((authority.to_owned(), default_port)),
    }
}

const PROBE_TIMEOUT: Duration = Duration::from_secs(4);

fn spawn_probe(url_template: &str, availability: Arc<Mutex<Availability>>, ctx: egui::Context) {
    let template = url_template.to_owned();
    let spawned = std::thread::Builder::new()
        .name("tile-probe".into())
        .spawn(move || {
            let result = probe(&template);
            if let Availability::Offline(reason) = &result {
                tracing::warn!(%reason, "map tiles offline; showing the junction schematic");
            }
            if let Ok(mut slot) = availability.lock() {
                *slot = result;
            }
            ctx.request_repaint();
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the tile reachability check");
    }
}

fn probe(template: &str) -> Availability {
    let Some((host, port)) = host_and_port(template) else {
        return Availability::Offline(format!("tile URL '{template}' has no host"));
    };
    let addresses = match (host.as_str(), port).to_socket_addrs() {
        Ok(a) => a.collect::<Vec<_>>(),
        Err(e) => return Availability::Offline(format!("cannot resolve {host}: {e}")),
    };
    for address in &addresses {
        if TcpStream::connect_timeout(address, PROBE_TIMEOUT).is_ok() {
            return Availability::Available;
        }
    }
    Availability::Offline(format!("cannot connect to {host}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_overrides_configuration() {
        let map = MapConfig::default();
        let cache = Path::new("/tmp/cache");
        assert_eq!(
            BaseMapChoice::resolve(Some("none"), &map, cache),
            BaseMapChoice::None
        );
        assert_eq!(
            BaseMapChoice::resolve(Some("/srv/dbp.pmtiles"), &map, cache),
            BaseMapChoice::Offline("/srv/dbp.pmtiles".into())
        );
        assert!(matches!(
            BaseMapChoice::resolve(None, &map, cache),
            BaseMapChoice::Online { .. }
        ));
    }

    #[test]
    fn finds_host_and_port() {
        assert_eq!(
            host_and_port("https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
            Some(("tile.openstreetmap.org".into(), 443))
        );
        assert_eq!(
            host_and_port("http://127.0.0.1:8080/{z}/{x}/{y}.png"),
            Some(("127.0.0.1".into(), 8080))
        );
    }

    #[test]
    fn a_closed_local_port_is_reported_offline() {
        // Bind then drop a listener so the port is (almost certainly) closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let result = probe(&format!("http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png"));
        assert!(matches!(result, Availability::Offline(_)), "{result:?}");
    }

    #[test]
    fn a_file_that_is_not_pmtiles_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("map.pmtiles");
        std::fs::write(&path, b"not a map at all").unwrap();
        let err = check_pmtiles(&path).unwrap_err();
        assert!(err.contains("not a PMTiles"), "{err}");
        assert!(check_pmtiles(&dir.path().join("missing.pmtiles")).is_err());
    }
}
