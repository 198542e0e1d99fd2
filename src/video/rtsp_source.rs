//! Live cameras over RTSP with retina: DESCRIBE, SETUP of the first H.264/H.265 video stream
//! (TCP interleaved by default, UDP on request), PLAY, then Annex B access units with parameter
//! sets in band. The session runs on a small single-threaded tokio runtime owned by the
//! source, so the caller (one ingest thread per stream) stays synchronous.

use super::SourceError;
use super::decoder::DecoderConfig;
use super::frame::{Codec, EncodedUnit};
use super::source::{StreamInfo, VideoSource};
use crate::domain::StreamUrl;
use futures::StreamExt as _;
use retina::client::{self, PlayOptions, SessionOptions, SetupOptions, Transport};
use retina::codec::{CodecItem, FrameFormat, ParametersRef};
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How to reach a camera.
#[derive(Debug, Clone)]
pub struct RtspOptions {
    /// Interleaved over the RTSP TCP connection (default) or UDP.
    pub udp: bool,
    /// User name and password, kept out of the URL so it can be logged.
    pub credentials: Option<(String, String)>,
    /// Longest wait for the camera to answer DESCRIBE/SETUP/PLAY.
    pub connect_timeout: Duration,
    /// Longest silence before the stream counts as dead.
    pub read_timeout: Duration,
}

impl Default for RtspOptions {
    fn default() -> Self {
        Self {
            udp: false,
            credentials: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(10),
        }
    }
}

pub struct RtspSource {
    runtime: tokio::runtime::Runtime,
    /// Always `Some` until dropped (retina's session must be dropped inside the runtime).
    stream: Option<Pin<Box<client::Demuxed>>>,
    info: StreamInfo,
    url: String,
    read_timeout: Duration,
    /// RTP packets lost, as counted by retina.
    lost_packets: u64,
    /// The sender's clock from its last RTCP sender report: wall time, and the same instant
    /// on the stream's 90 kHz clock (as `EncodedUnit::pts_90k` counts it).
    sender_clock: Option<(SystemTime, i64)>,
    /// The camera's clock minus this workstation's at the last sender report (ms).
    clock_offset_ms: Option<i64>,
}

impl RtspSource {
    pub fn connect(url: &StreamUrl, options: &RtspOptions) -> Result<Self, SourceError> {
        let shown = url.to_string();
        let fail = |message: String| SourceError::Rtsp {
            url: shown.clone(),
            message,
        };
        let parsed = url::Url::parse(url.as_str()).map_err(|e| fail(e.to_string()))?;
        // RFC 2606 reserves .invalid: the sample inventory's placeholder addresses use it.
        // Never ask a resolver about them.
        if parsed
            .host_str()
            .is_some_and(|h| h.trim_end_matches('.').ends_with(".invalid"))
        {
            return Err(fail(
                "placeholder address (.invalid): enter the camera's real stream URL".into(),
            ));
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| fail(format!("cannot start the network runtime: {e}")))?;
        let session_options = SessionOptions::default()
            .creds(
                options
                    .credentials
                    .as_ref()
                    .map(|(u, p)| client::Credentials {
                        username: u.clone(),
                        password: p.clone(),
                    }),
            )
            .user_agent(concat!("dienbien-dispatch/", env!("CARGO_PKG_VERSION")).to_owned());
        let transport = if options.udp {
            Transport::Udp(Default::default())
        } else {
            Transport::Tcp(Default::default())
        };
        let connecting = async {
            let mut session = client::Session::describe(parsed, session_options)
                .await
                .map_err(|e| classify(&shown, &e.to_string()))?;
            let (index, codec) = session
                .streams()
                .iter()
                .enumerate()
                .find_map(|(i, s)| {
                    let codec = match s.encoding_name() {
                        "h264" => Some(Codec::H264),
                        "h265" => Some(Codec::H265),
                        _ => None,
                    };
                    (s.media() == "video")
                        .then_some(codec)
                        .flatten()
                        .map(|c| (i, c))
                })
                .ok_or_else(|| SourceError::Rtsp {
                    url: shown.clone(),
                    message: "the camera offers no H.264 or H.265 video stream".into(),
                })?;
            session
                .setup(
                    index,
                    SetupOptions::default()
                        .transport(transport)
                        .frame_format(FrameFormat::SIMPLE),
                )
                .await
                .map_err(|e| classify(&shown, &e.to_string()))?;
            let info = stream_info(&session.streams()[index], codec);
            let playing = session
                .play(PlayOptions::default())
                .await
                .map_err(|e| classify(&shown, &e.to_string()))?;
            let demuxed = playing
                .demuxed()
                .map_err(|e| classify(&shown, &e.to_string()))?;
            Ok::<_, SourceError>((demuxed, info))
        };
        let (demuxed, info) = runtime
            .block_on(async { tokio::time::timeout(options.connect_timeout, connecting).await })
            .map_err(|_| {
                fail(format!(
                    "no answer within {} s",
                    options.connect_timeout.as_secs()
                ))
            })??;
        Ok(Self {
            runtime,
            stream: Some(Box::pin(demuxed)),
            info,
            url: shown,
            read_timeout: options.read_timeout,
            lost_packets: 0,
            sender_clock: None,
            clock_offset_ms: None,
        })
    }
}

fn stream_info(stream: &client::Stream, codec: Codec) -> StreamInfo {
    let video = match stream.parameters() {
        Some(ParametersRef::Video(v)) => Some(v),
        _ => None,
    };
    StreamInfo {
        codec,
        dimensions: video.map_or((0, 0), |v| v.pixel_dimensions()),
        frame_rate: video
            .and_then(|v| v.frame_rate())
            .filter(|(n, d)| *n > 0 && *d > 0)
            .map(|(n, d)| f64::from(d) / f64::from(n))
            .or_else(|| stream.framerate().map(f64::from)),
        codec_string: video.map(|v| v.rfc6381_codec().to_owned()),
    }
}

/// Turns retina's message into an error kind a technician can act on.
fn classify(url: &str, message: &str) -> SourceError {
    if message.contains("401") || message.to_ascii_lowercase().contains("unauthorized") {
        SourceError::Auth {
            url: url.to_owned(),
            message: message.to_owned(),
        }
    } else {
        SourceError::Rtsp {
            url: url.to_owned(),
            message: message.to_owned(),
        }
    }
}

impl VideoSource for RtspSource {
    fn info(&self) -> StreamInfo {
        self.info.clone()
    }

    fn decoder_config(&self) -> DecoderConfig {
        DecoderConfig::AnnexB(self.info.codec)
    }

    fn capture_time(&self, pts_90k: i64) -> Option<SystemTime> {
        self.send_time(pts_90k)
    }

    fn clock_offset_ms(&self) -> Option<i64> {
        self.clock_offset_ms
    }

    fn lost_packets(&self) -> u64 {
        self.lost_packets
    }

    fn next_unit(&mut self) -> Option<Result<EncodedUnit, SourceError>> {
        loop {
            let stream = self.stream.as_mut()?;
            let next = self
                .runtime
                .block_on(async { tokio::time::timeout(self.read_timeout, stream.next()).await });
            let item = match next {
                Err(_) => {
                    return Some(Err(SourceError::Rtsp {
                        url: self.url.clone(),
                        message: format!("no data for {} s", self.read_timeout.as_secs()),
                    }));
                }
                Ok(None) => return None,
                Ok(Some(Err(e))) => return Some(Err(classify(&self.url, &e.to_string()))),
                Ok(Some(Ok(item))) => item,
            };
            let frame = match item {
                CodecItem::VideoFrame(frame) => frame,
                CodecItem::Rtcp(report) => {
                    self.note_sender_report(&report);
                    continue;
                }
                _ => continue,
            };
            self.lost_packets += u64::from(frame.loss());
            let timestamp = frame.timestamp();
            let clock = i64::from(self.info_clock_rate());
            let pts_90k = timestamp.elapsed() * 90_000 / clock.max(1);
            let keyframe = frame.is_random_access_point();
            return Some(Ok(EncodedUnit {
                dts_90k: None,
                data: frame.into_data(),
                pts_90k,
                keyframe,
            }));
        }
    }
}

impl Drop for RtspSource {
    fn drop(&mut self) {
        // retina tears the session down from a task: it needs the runtime's context.
        let _context = self.runtime.enter();
        drop(self.stream.take());
    }
}

impl RtspSource {
    /// When the camera sent the picture with this `pts_90k`, by its own wall clock, as its
    /// RTCP sender reports map RTP time to NTP time. `None` until a report arrived.
    pub fn send_time(&self, pts_90k: i64) -> Option<SystemTime> {
        let (wall, at_90k) = self.sender_clock?;
        // Saturating: a camera's timestamps are input.
        let offset_us = pts_90k.saturating_sub(at_90k).saturating_mul(100) / 9;
        if offset_us >= 0 {
            wall.checked_add(Duration::from_micros(offset_us as u64))
        } else {
            wall.checked_sub(Duration::from_micros(offset_us.unsigned_abs()))
        }
    }

    fn note_sender_report(&mut self, report: &retina::rtcp::ReceivedCompoundPacket) {
        let Some(rtp) = report.rtp_timestamp() else {
            return;
        };
        let Some(sr) = report
            .pkts()
            .find_map(|p| p.as_sender_report().ok().flatten())
        else {
            return;
        };
        // NTP: seconds since 1900 in the high 32 bits, binary fraction in the low 32 bits.
        const NTP_TO_UNIX_SECS: u64 = 2_208_988_800;
        let ntp = sr.ntp_timestamp().0;
        let (secs, fraction) = (ntp >> 32, ntp & 0xffff_ffff);
        let Some(unix_secs) = secs.checked_sub(NTP_TO_UNIX_SECS) else {
            return;
        };
        let nanos = (fraction * 1_000_000_000) >> 32;
        let wall = UNIX_EPOCH + Duration::new(unix_secs, nanos as u32);
        let at_90k = rtp.elapsed().saturating_mul(90_000) / i64::from(self.info_clock_rate());
        self.sender_clock = Some((wall, at_90k));
        let offset = crate::clock::utc_ms(wall).saturating_sub(crate::clock::now_utc_ms());
        if offset.saturating_abs() > super::source::CLOCK_TOLERANCE_MS
            && self
                .clock_offset_ms
                .is_none_or(|o| o.saturating_abs() <= super::source::CLOCK_TOLERANCE_MS)
        {
            tracing::warn!(url = %self.url, offset_ms = offset, "the camera's clock is off; its times are taken on this workstation's clock");
        }
        self.clock_offset_ms = Some(offset);
    }

    /// Video RTP clocks are 90 kHz for H.264 and H.265 (RFC 6184, RFC 7798).
    fn info_clock_rate(&self) -> u32 {
        90_000
    }
}
