//! What the other consoles and the engines change, brought to this console by the store worker:
//! events stored by anyone (an engine's violation, another console's alarm), state changes of
//! the events this console shows, and the engines with the cameras they hold. One code path
//! for both backends: it looks every [`POLL_EVERY`]; on PostgreSQL it also `LISTEN`s, and
//! reads the events table only when a notification arrived (or every few seconds, in case a
//! notification was lost with a connection).

use super::Reply;
use crate::store::{Store, StoreError, StoredEvent};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};

/// How often the store worker looks (a change reaches every console within about this).
pub(super) const POLL_EVERY: Duration = Duration::from_millis(250);
/// The engines are read this often.
const ENGINES_EVERY: Duration = Duration::from_secs(2);
/// Without notifications (or to be safe with them) the events are read at least this often.
const EVENTS_AT_LEAST_EVERY: Duration = Duration::from_secs(3);
/// A console starting shows the open alarms of this many hours.
const OPEN_ALARMS_HOURS: i64 = 12;
/// Most events handed over in one look.
const BATCH: i64 = 200;
/// Events whose state is followed (the newest ones shown).
const FOLLOWED: usize = 500;
/// Overlay rows read at most in one look.
const OVERLAY_BATCH: i64 = 500;
/// Overlay rows below the newest seen read again (ids committed out of order).
const LOOK_BACK_OVERLAYS: i64 = 256;
/// Ids below the newest seen are read again this far back: a PostgreSQL id taken by a
/// transaction that commits later than a newer one is not missed.
const LOOK_BACK_IDS: i64 = 64;

/// The store worker's view of the site.
pub(super) struct SiteWatch {
    /// Wakes the UI after something is sent.
    waker: super::Waker,
    started: bool,
    /// PostgreSQL notifications are on.
    listening: bool,
    /// The newest event id seen.
    newest: i64,
    /// Ids seen near the newest (to skip the look-back's repeats).
    seen: BTreeSet<i64>,
    /// The state of each followed event, as last told to the UI.
    states: BTreeMap<i64, crate::domain::EventState>,
    last_events: Option<Instant>,
    last_engines: Option<Instant>,
    /// Cameras whose overlays are followed, and the newest overlay row seen (`None`: start
    /// from the newest row there is).
    followed: Vec<String>,
    overlays_seen: Option<i64>,
    overlay_ids: BTreeSet<i64>,
}

impl SiteWatch {
    pub(super) fn new(waker: super::Waker) -> Self {
        Self {
            waker,
            started: false,
            listening: false,
            newest: 0,
            seen: BTreeSet::new(),
            states: BTreeMap::new(),
            last_events: None,
            last_engines: None,
            followed: Vec::new(),
            overlays_seen: None,
            overlay_ids: BTreeSet::new(),
        }
    }

    /// Follows the overlays of `cameras` from now on (replacing the cameras followed).
    pub(super) fn follow_overlays(&mut self, cameras: Vec<String>) {
        if cameras.is_empty() {
            self.overlays_seen = None;
            self.overlay_ids.clear();
        }
        self.followed = cameras;
    }

    /// Overlays stored for the followed cameras since the last look.
    fn look_overlays(
        &mut self,
        store: &mut Store,
        events: &SyncSender<Reply>,
    ) -> Result<(), StoreError> {
        if self.followed.is_empty() {
            return Ok(());
        }
        let after = match self.overlays_seen {
            Some(seen) => seen,
            None => {
                // Start a little before the newest row: what the engine drew just now.
                let newest = store.newest_overlay_id()?;
                self.overlays_seen = Some(newest);
                newest
            }
        };
        let rows = store.overlays_after(
            &self.followed,
            (after - LOOK_BACK_OVERLAYS).max(0),
            OVERLAY_BATCH,
        )?;
        let mut fresh = Vec::new();
        for (id, overlay) in rows {
            if self.overlay_ids.insert(id) {
                fresh.push(overlay);
            }
            self.overlays_seen = Some(self.overlays_seen.unwrap_or(0).max(id));
        }
        let floor = self.overlays_seen.unwrap_or(0) - LOOK_BACK_OVERLAYS;
        self.overlay_ids.retain(|id| *id > floor);
        if !fresh.is_empty() {
            self.tell(events, Reply::LiveOverlays(fresh), false);
        }
        Ok(())
    }

    /// Sends `event` to the UI and wakes it; `wait`: wait for room (what must not be lost),
    /// else drop it when the queue is full (what comes again).
    fn tell(&self, events: &SyncSender<Reply>, event: Reply, wait: bool) {
        let sent = if wait {
            events.send(event).is_ok()
        } else {
            events.try_send(event).is_ok()
        };
        if sent
            && let Ok(waker) = self.waker.lock()
            && let Some(wake) = waker.as_ref()
        {
            wake();
        }
    }

    /// Looks for changes when due and sends them to the UI.
    pub(super) fn poll(&mut self, store: &mut Store, events: &SyncSender<Reply>) {
        if let Err(e) = self.look(store, events) {
            tracing::warn!(error = %e, "cannot read the site's changes; trying again");
            // A lost connection loses its LISTEN too: start again (the UI skips alarms it has).
            self.listening = false;
            self.started = false;
        }
    }

    fn look(&mut self, store: &mut Store, events: &SyncSender<Reply>) -> Result<(), StoreError> {
        if !self.started {
            self.start(store, events)?;
        }
        self.look_overlays(store, events)?;
        if self
            .last_engines
            .is_none_or(|t| t.elapsed() >= ENGINES_EVERY)
        {
            self.last_engines = Some(Instant::now());
            let engines = store.engines()?;
            let unheld = store.unheld_cameras(&engines)?;
            self.tell(events, Reply::Engines { engines, unheld }, false);
        }
        let notified = if self.listening {
            store.event_notifications()?.unwrap_or(0) > 0
        } else {
            true
        };
        let stale = self
            .last_events
            .is_none_or(|t| t.elapsed() >= EVENTS_AT_LEAST_EVERY);
        if !(notified || stale) {
            return Ok(());
        }
        self.last_events = Some(Instant::now());
        let fresh: Vec<StoredEvent> = store
            .events_after((self.newest - LOOK_BACK_IDS).max(0), BATCH)?
            .into_iter()
            .filter(|e| !self.seen.contains(&e.id))
            .collect();
        self.remember(&fresh);
        if !fresh.is_empty() {
            self.tell(events, Reply::SiteEvents(fresh), true);
        }
        let ids: Vec<i64> = self.states.keys().copied().collect();
        let mut changed = Vec::new();
        for (id, state) in store.event_states(&ids)? {
            if self.states.get(&id) != Some(&state) {
                self.states.insert(id, state);
                changed.push((id, state));
            }
        }
        if !changed.is_empty() {
            self.tell(events, Reply::EventStates(changed), true);
        }
        Ok(())
    }

    /// The first look: the open alarms of the last hours, and notifications on.
    fn start(&mut self, store: &mut Store, events: &SyncSender<Reply>) -> Result<(), StoreError> {
        self.listening = store.listen_for_events()?;
        let since = crate::clock::now_utc_ms() - OPEN_ALARMS_HOURS * 3_600_000;
        let open = store.open_events_since(since, BATCH)?;
        self.newest = store.recent_events(1)?.first().map_or(0, |e| e.id);
        self.remember(&open);
        if !open.is_empty() {
            self.tell(events, Reply::SiteEvents(open), true);
        }
        self.started = true;
        Ok(())
    }

    fn remember(&mut self, seen: &[StoredEvent]) {
        for event in seen {
            self.newest = self.newest.max(event.id);
            self.seen.insert(event.id);
            self.states.insert(event.id, event.state);
        }
        let floor = self.newest - LOOK_BACK_IDS;
        self.seen.retain(|id| *id > floor);
        while self.states.len() > FOLLOWED {
            self.states.pop_first();
        }
    }

    /// This console stored or changed `event` itself: follow it without announcing it again.
    pub(super) fn own(&mut self, id: i64, state: crate::domain::EventState) {
        self.seen.insert(id);
        self.newest = self.newest.max(id);
        self.states.insert(id, state);
    }
}
