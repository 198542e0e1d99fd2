//! The plate reader thread (`plate-reader`, one beside each detector thread): the detector
//! hands it vehicles' crops (`PlateJob`, a queue of 4; a full queue means the vehicle is
//! asked again at its next sighting), it reads each one's plate (`PlateReader::read_vehicle`)
//! and gives the reading with its rectified close-up back to the stream's feed. The reader's
//! models are loaded at the first job, so a console without plate-reading cameras never
//! loads them; a reader that cannot load is reported once and its jobs are dropped.

use super::feed::DetectionFeed;
use super::plates::PlateRead;
use crate::plates::PlateReader;
use image::RgbImage;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

/// Crops waiting for the reader at most.
const QUEUE: usize = 4;

/// A vehicle to read: its crop of the frame at `pts_90k`.
pub struct PlateJob {
    pub feed: DetectionFeed,
    pub track: u64,
    pub pts_90k: i64,
    /// When the frame was taken (UTC ms).
    pub wall_ms: i64,
    pub crop: RgbImage,
}

/// The handle of the plate reader thread; dropping it ends the thread once its queue is read.
pub struct PlateWorker {
    sender: Option<SyncSender<PlateJob>>,
    waiting: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl PlateWorker {
    pub fn start(models_dir: PathBuf) -> std::io::Result<Self> {
        let (sender, receiver) = sync_channel(QUEUE);
        let waiting = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&waiting);
        let thread = std::thread::Builder::new()
            .name("plate-reader".into())
            .spawn(move || run(&receiver, &counter, &models_dir))?;
        Ok(Self {
            sender: Some(sender),
            waiting,
            thread: Some(thread),
        })
    }

    /// How many more crops the queue takes now.
    pub fn room(&self) -> usize {
        QUEUE.saturating_sub(self.waiting.load(Ordering::Relaxed))
    }

    /// Queues `job`; `false` when the queue is full or the thread has ended.
    pub fn offer(&self, job: PlateJob) -> bool {
        let Some(sender) = &self.sender else {
            return false;
        };
        self.waiting.fetch_add(1, Ordering::Relaxed);
        match sender.try_send(job) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.waiting.fetch_sub(1, Ordering::Relaxed);
                false
            }
        }
    }
}

impl Drop for PlateWorker {
    fn drop(&mut self) {
        self.sender.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(jobs: &Receiver<PlateJob>, waiting: &AtomicUsize, models_dir: &std::path::Path) {
    let mut reader: Option<Result<PlateReader, String>> = None;
    while let Ok(job) = jobs.recv() {
        let loaded = reader.get_or_insert_with(|| match PlateReader::load(models_dir) {
            Ok(r) => {
                tracing::info!("plate reader ready");
                Ok(r)
            }
            Err(e) => {
                tracing::error!(error = %e, "plate reading unavailable");
                Err(e.to_string())
            }
        });
        if let Ok(reader) = loaded {
            read(reader, &job);
        }
        waiting.fetch_sub(1, Ordering::Relaxed);
    }
}

fn read(reader: &PlateReader, job: &PlateJob) {
    let reading = match reader.read_vehicle(&job.crop) {
        Ok(Some(reading)) => reading,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(track = job.track, error = %e, "a plate could not be read");
            return;
        }
    };
    let close_up = crate::plates::rectify::rectify(&job.crop, &reading.corners)
        .and_then(|flat| jpeg(&flat))
        .unwrap_or_default();
    job.feed.plate_read(PlateRead {
        track: job.track,
        pts_90k: job.pts_90k,
        wall_ms: job.wall_ms,
        reading,
        close_up,
    });
}

/// `picture` as a JPEG of quality 90.
pub fn jpeg(picture: &RgbImage) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90)
        .encode_image(picture)
        .ok()?;
    Some(bytes)
}
