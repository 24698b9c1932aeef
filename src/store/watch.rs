//! The watch hub: fans committed events out to watchers without ever blocking the writer.
//!
//! A watch is built as *subscribe, then backfill*: the watcher registers with the [`Hub`] first
//! (so it misses nothing committed from then on), then reads history after its start revision from
//! the table page by page, then switches to the live events, dropping those it already saw. Since the
//! writer publishes strictly after commit and in revision order, this has neither gaps nor
//! duplicates. Each watcher has a bounded queue: a watcher that falls more than `limit` events
//! behind is cut off with [`StoreError::WatcherTooSlow`] instead of slowing writers or growing memory.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;
use futures::StreamExt;
use tokio::sync::Notify;

use super::{Event, Revision, StoreError, WatchStream};

/// Events pending per watcher before it is cut off.
pub const DEFAULT_WATCHER_LIMIT: usize = 10_000;

/// Rows read per backfill page.
pub const BACKFILL_PAGE: usize = 1_000;

pub struct Hub {
    inner: Mutex<HubInner>,
    limit: usize,
}

#[derive(Default)]
struct HubInner {
    subs: HashMap<u64, Arc<Sub>>,
    next_id: u64,
    closed: bool,
}

struct Sub {
    prefix: String,
    state: Mutex<SubState>,
    notify: Notify,
}

#[derive(Default)]
struct SubState {
    queue: VecDeque<Arc<Event>>,
    end: Option<End>,
}

#[derive(Clone, Copy)]
enum End {
    Closed,
    TooSlow,
}

impl Hub {
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(Hub {
            inner: Mutex::new(HubInner::default()),
            limit,
        })
    }

    /// Registers a watcher for keys under `prefix`. Events published from now on are queued for it.
    pub fn subscribe(self: &Arc<Self>, prefix: &str) -> Subscription {
        let sub = Arc::new(Sub {
            prefix: prefix.to_owned(),
            state: Mutex::new(SubState::default()),
            notify: Notify::new(),
        });
        let mut inner = self.inner.lock().expect("hub lock poisoned");
        let id = inner.next_id;
        inner.next_id += 1;
        if inner.closed {
            sub.state.lock().expect("sub lock poisoned").end = Some(End::Closed);
        } else {
            inner.subs.insert(id, sub.clone());
        }
        Subscription {
            id,
            sub,
            hub: Arc::downgrade(self),
            limit: self.limit,
        }
    }

    /// Hands committed events (in revision order) to every interested watcher. Never blocks on a
    /// watcher: one that cannot keep up is dropped.
    pub fn publish(&self, events: &[Arc<Event>]) {
        if events.is_empty() {
            return;
        }
        let mut inner = self.inner.lock().expect("hub lock poisoned");
        let mut too_slow = Vec::new();
        for (&id, sub) in inner.subs.iter() {
            let mut matched = events
                .iter()
                .filter(|e| e.kv.key.starts_with(&sub.prefix))
                .peekable();
            if matched.peek().is_none() {
                continue;
            }
            let mut state = sub.state.lock().expect("sub lock poisoned");
            for event in matched {
                if state.queue.len() >= self.limit {
                    state.queue.clear();
                    state.end = Some(End::TooSlow);
                    too_slow.push(id);
                    break;
                }
                state.queue.push_back(event.clone());
            }
            drop(state);
            sub.notify.notify_one();
        }
        for id in too_slow {
            inner.subs.remove(&id);
        }
    }

    /// Ends every watch; later subscriptions end at once.
    pub fn close(&self) {
        let mut inner = self.inner.lock().expect("hub lock poisoned");
        inner.closed = true;
        for (_, sub) in inner.subs.drain() {
            sub.state.lock().expect("sub lock poisoned").end = Some(End::Closed);
            sub.notify.notify_one();
        }
    }

    pub fn watcher_count(&self) -> usize {
        self.inner.lock().expect("hub lock poisoned").subs.len()
    }
}

/// A registration with the hub; unregisters on drop.
pub struct Subscription {
    id: u64,
    sub: Arc<Sub>,
    hub: Weak<Hub>,
    limit: usize,
}

impl Subscription {
    /// Moves every queued event into `out`, waiting for at least one. Returns `Ok(false)` when
    /// the hub closed and nothing is left.
    async fn next_batch(&self, out: &mut VecDeque<Arc<Event>>) -> Result<bool, StoreError> {
        loop {
            let notified = self.sub.notify.notified();
            {
                let mut state = self.sub.state.lock().expect("sub lock poisoned");
                if !state.queue.is_empty() {
                    out.append(&mut state.queue);
                    return Ok(true);
                }
                match state.end {
                    Some(End::Closed) => return Ok(false),
                    Some(End::TooSlow) => {
                        return Err(StoreError::WatcherTooSlow { limit: self.limit });
                    }
                    None => {}
                }
            }
            notified.await;
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            hub.inner
                .lock()
                .expect("hub lock poisoned")
                .subs
                .remove(&self.id);
        }
    }
}

/// Where backfill reads committed history from.
#[async_trait]
pub trait History: Send + 'static {
    /// Up to `limit` events under `prefix` with revision > `after`, ascending. Fails with
    /// [`StoreError::Compacted`] if some of them are gone.
    async fn events_after(
        &mut self,
        prefix: &str,
        after: Revision,
        limit: usize,
    ) -> Result<Vec<Arc<Event>>, StoreError>;
}

/// Builds a watch from a subscription taken *before* `first_page` was read, and a history source
/// for further pages.
pub fn merge<H: History>(
    subscription: Subscription,
    history: H,
    prefix: String,
    after: Revision,
    first_page: Vec<Arc<Event>>,
) -> WatchStream {
    enum Phase {
        Backfill,
        Live,
        Done,
    }
    struct State {
        subscription: Subscription,
        phase: Phase,
        buffer: VecDeque<Arc<Event>>,
        last: Revision,
        prefix: String,
    }

    let backfill_done = first_page.len() < BACKFILL_PAGE;
    let state = State {
        subscription,
        phase: if backfill_done {
            Phase::Live
        } else {
            Phase::Backfill
        },
        buffer: first_page.into(),
        last: after,
        prefix,
    };

    futures::stream::unfold(
        (state, (!backfill_done).then_some(history)),
        |(mut st, mut history)| async move {
            loop {
                if let Some(event) = st.buffer.pop_front() {
                    // Live events may repeat what backfill already delivered; revisions only grow.
                    if event.revision() <= st.last {
                        continue;
                    }
                    st.last = event.revision();
                    return Some((Ok(event), (st, history)));
                }
                match st.phase {
                    Phase::Done => return None,
                    Phase::Backfill => {
                        let h = history
                            .as_mut()
                            .expect("history is kept until backfill ends");
                        match h.events_after(&st.prefix, st.last, BACKFILL_PAGE).await {
                            Ok(page) => {
                                if page.len() < BACKFILL_PAGE {
                                    st.phase = Phase::Live;
                                    history = None;
                                }
                                st.buffer = page.into();
                            }
                            Err(err) => {
                                st.phase = Phase::Done;
                                return Some((Err(err), (st, history)));
                            }
                        }
                    }
                    Phase::Live => match st.subscription.next_batch(&mut st.buffer).await {
                        Ok(true) => {}
                        Ok(false) => st.phase = Phase::Done,
                        Err(err) => {
                            st.phase = Phase::Done;
                            return Some((Err(err), (st, history)));
                        }
                    },
                }
            }
        },
    )
    .boxed()
}
