//! `probe URL`: the tool a technician runs when a camera is "black". Connects, decodes until
//! the first picture, and reports what it found, or the first error.

use crate::cli::ProbeArgs;
use crate::domain::StreamUrl;
use crate::video::{self, Decoder, RtspOptions};
use anyhow::{Context as _, bail};
use serde::Serialize;
use std::time::{Duration, Instant};

/// Environment variable holding the camera password for `--user`.
pub const PASSWORD_VAR: &str = "DISPATCH_RTSP_PASSWORD";

#[derive(Serialize)]
struct ProbeReport {
    url: String,
    codec: &'static str,
    codec_string: Option<String>,
    width: u32,
    height: u32,
    frame_rate: Option<f64>,
    time_to_first_frame_ms: u64,
    units_before_first_frame: u64,
    decode_errors: u64,
}

pub fn run(args: &ProbeArgs) -> anyhow::Result<()> {
    let url = StreamUrl::parse(&args.url).with_context(|| format!("'{}'", args.url))?;
    let timeout = Duration::from_secs(args.timeout_secs.max(1));
    let credentials = args.user.as_ref().map(|user| {
        (
            user.clone(),
            std::env::var(PASSWORD_VAR).unwrap_or_default(),
        )
    });
    let options = RtspOptions {
        udp: args.udp,
        credentials,
        connect_timeout: timeout,
        read_timeout: timeout,
    };
    let started = Instant::now();
    let mut source = video::open(&url, &options)?;
    let info = source.info();
    let mut decoder = Decoder::new(&source.decoder_config())?;
    let mut frames = Vec::new();
    while frames.is_empty() {
        if started.elapsed() > timeout {
            bail!("{url}: no picture decoded within {} s", timeout.as_secs());
        }
        match source.next_unit() {
            Some(Ok(unit)) => {
                // A decode error is counted; the decoder waits for the next keyframe.
                let _ = decoder.decode(&unit, &mut frames);
            }
            Some(Err(e)) => return Err(e.into()),
            None => {
                decoder.finish(&mut frames)?;
                if frames.is_empty() {
                    bail!("{url}: the stream ended before a picture could be decoded");
                }
            }
        }
    }
    let frame = &frames[0];
    let stats = decoder.stats();
    let report = ProbeReport {
        url: url.to_string(),
        codec: info.codec.name(),
        codec_string: info.codec_string,
        width: frame.width,
        height: frame.height,
        frame_rate: info.frame_rate,
        time_to_first_frame_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        units_before_first_frame: stats.units_in,
        decode_errors: stats.errors,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("url:                 {}", report.url);
        println!(
            "codec:               {}{}",
            report.codec,
            report
                .codec_string
                .as_deref()
                .map_or_else(String::new, |s| format!(" ({s})"))
        );
        println!("resolution:          {}x{}", report.width, report.height);
        match report.frame_rate {
            Some(fps) => println!("frame rate:          {fps:.2} fps"),
            None => println!("frame rate:          not declared"),
        }
        println!("first picture after: {} ms", report.time_to_first_frame_ms);
        println!(
            "units read:          {} ({} decode errors)",
            report.units_before_first_frame, report.decode_errors
        );
    }
    Ok(())
}
