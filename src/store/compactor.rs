//! Periodic compaction: keeps at least the last `min_age` of history and the last
//! `min_revisions` revisions, drops the rest, then lets the backend reclaim space.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Backend, Revision, StoreError};

#[derive(Clone, Debug)]
pub struct CompactorConfig {
    pub interval: Duration,
    /// History younger than this is kept (watchers and paged lists rely on it).
    pub min_age: Duration,
    /// At least this many revisions are kept.
    pub min_revisions: Revision,
}

impl Default for CompactorConfig {
    fn default() -> Self {
        CompactorConfig {
            interval: Duration::from_secs(60),
            min_age: Duration::from_secs(300),
            min_revisions: 1000,
        }
    }
}

pub struct Compactor {
    backend: Arc<dyn Backend>,
    config: CompactorConfig,
    /// (when, current revision then), oldest first. The store keeps no timestamps, so the age of a
    /// revision is learnt by sampling; after a restart nothing is compacted until `min_age` passed.
    samples: VecDeque<(Instant, Revision)>,
}

impl Compactor {
    pub fn new(backend: Arc<dyn Backend>, config: CompactorConfig) -> Self {
        Compactor {
            backend,
            config,
            samples: VecDeque::new(),
        }
    }

    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut ticker = tokio::time::interval(self.config.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = ticker.tick() => {}
            }
            match self.tick().await {
                Ok(Some(revision)) => tracing::debug!(revision, "compacted the datastore"),
                Ok(None) => {}
                Err(StoreError::Closed) => return,
                Err(err) => tracing::warn!(error = %err, "compaction failed; will retry"),
            }
        }
    }

    /// Samples the current revision and compacts what is old enough. Returns the new compacted
    /// revision if it moved.
    pub async fn tick(&mut self) -> Result<Option<Revision>, StoreError> {
        let now = Instant::now();
        self.samples
            .push_back((now, self.backend.current_revision()));
        // The newest sample that is old enough bounds what may go; older samples are not needed.
        let Some(idx) = self
            .samples
            .iter()
            .rposition(|&(at, _)| now.duration_since(at) >= self.config.min_age)
        else {
            return Ok(None);
        };
        let (_, old_enough) = self.samples[idx];
        self.samples.drain(..idx);
        let target = old_enough.min(self.backend.current_revision() - self.config.min_revisions);
        if target <= self.backend.compact_revision() {
            return Ok(None);
        }
        let compacted = self.backend.compact(target).await?;
        self.backend.maintain().await?;
        Ok(Some(compacted))
    }
}
