//! An event recorder for the controllers and the scheduler (events.k8s.io/v1).
//!
//! kube-runtime's `Recorder` folds every event with the same reason and action about an object
//! into one series, keeping the first note: a ReplicaSet's "Created pod: web-abc" would hide
//! "Created pod: web-def". Upstream's controllers (through client-go's legacy recorder and its
//! correlator) keep one event per distinct message and count repeats of the same one, which is
//! what `kubectl describe` shows. This recorder does the same: the note is part of the key, and
//! an event repeated within [`SERIES_TTL`] becomes a series (`series.count`, and `count` /
//! `lastTimestamp` in the core/v1 view).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::{Event as K8sEvent, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::Client;
use kube::api::{Api, ObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::events::{Event, EventType};
use tokio::sync::Mutex;

/// How long a repeated event keeps extending the same series.
pub const SERIES_TTL: Duration = Duration::from_secs(6 * 60);
/// Bound on remembered events; the oldest are forgotten first.
const MAX_CACHED: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    warning: bool,
    reason: String,
    action: String,
    note: String,
    regarding: (String, String, String, String, String),
}

struct Seen {
    namespace: String,
    name: String,
    count: i32,
    last: Instant,
}

/// Publishes events as `controller`. Cheap to clone; clones share the series cache.
#[derive(Clone)]
pub struct Recorder {
    client: Client,
    controller: String,
    cache: Arc<Mutex<HashMap<Key, Seen>>>,
}

/// Makes room in a full cache: forgets expired series, and if that is not enough, the older
/// half. Done in one pass when the cache fills, not on every event (which cost O(n) each).
fn forget_oldest(cache: &mut HashMap<Key, Seen>, now: Instant) {
    cache.retain(|_, s| now.duration_since(s.last) < SERIES_TTL);
    if cache.len() < MAX_CACHED {
        return;
    }
    let mut lasts: Vec<Instant> = cache.values().map(|s| s.last).collect();
    let middle = lasts.len() / 2;
    let (_, median, _) = lasts.select_nth_unstable(middle);
    let median = *median;
    cache.retain(|_, s| s.last > median);
}

fn reference_key(r: &ObjectReference) -> (String, String, String, String, String) {
    (
        r.api_version.clone().unwrap_or_default(),
        r.kind.clone().unwrap_or_default(),
        r.namespace.clone().unwrap_or_default(),
        r.name.clone().unwrap_or_default(),
        r.uid.clone().unwrap_or_default(),
    )
}

impl Recorder {
    pub fn new(client: Client, controller: &str) -> Recorder {
        Recorder {
            client,
            controller: controller.to_string(),
            cache: Arc::default(),
        }
    }

    /// Records `ev` about `regarding` (cluster-scoped objects' events go to `default`).
    pub async fn publish(
        &self,
        ev: &Event,
        regarding: &ObjectReference,
    ) -> Result<(), kube::Error> {
        let key = Key {
            warning: matches!(ev.type_, EventType::Warning),
            reason: ev.reason.clone(),
            action: ev.action.clone(),
            note: ev.note.clone().unwrap_or_default(),
            regarding: reference_key(regarding),
        };
        let now = Instant::now();
        // The lock is never held across a request: publishing is concurrent, and two racing
        // repeats at worst make two events.
        let repeat = {
            let mut cache = self.cache.lock().await;
            cache
                .get_mut(&key)
                .filter(|seen| now.duration_since(seen.last) < SERIES_TTL)
                .map(|seen| {
                    seen.count += 1;
                    seen.last = now;
                    (seen.namespace.clone(), seen.name.clone(), seen.count)
                })
        };
        if let Some((namespace, name, count)) = repeat {
            let patch = serde_json::json!({"series": EventSeries {
                count,
                last_observed_time: MicroTime(jiff::Timestamp::now()),
            }});
            let api: Api<K8sEvent> = Api::namespaced(self.client.clone(), &namespace);
            match api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => return Ok(()),
                // The event expired or was deleted: start over with a new one.
                Err(kube::Error::Api(s)) if s.code == 404 => {
                    self.cache.lock().await.remove(&key);
                }
                Err(err) => return Err(err),
            }
        }
        let namespace = regarding
            .namespace
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".to_string());
        let stamp = jiff::Timestamp::now();
        let event = K8sEvent {
            metadata: ObjectMeta {
                name: Some(format!(
                    "{}.{:x}",
                    regarding.name.as_deref().unwrap_or(&self.controller),
                    stamp.as_nanosecond()
                )),
                namespace: Some(namespace.clone()),
                ..Default::default()
            },
            event_time: Some(MicroTime(stamp)),
            action: Some(ev.action.clone()),
            reason: Some(ev.reason.clone()),
            note: ev.note.clone(),
            regarding: Some(regarding.clone()),
            related: ev.secondary.clone(),
            reporting_controller: Some(self.controller.clone()),
            reporting_instance: Some(self.controller.clone()),
            type_: Some(if key.warning { "Warning" } else { "Normal" }.to_string()),
            ..Default::default()
        };
        let api: Api<K8sEvent> = Api::namespaced(self.client.clone(), &namespace);
        let created = api.create(&PostParams::default(), &event).await?;
        let mut cache = self.cache.lock().await;
        if cache.len() >= MAX_CACHED {
            forget_oldest(&mut cache, now);
        }
        cache.insert(
            key,
            Seen {
                namespace,
                name: created.metadata.name.unwrap_or_default(),
                count: 1,
                last: now,
            },
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: usize) -> Key {
        Key {
            warning: false,
            reason: "Created".into(),
            action: String::new(),
            note: format!("pod-{i}"),
            regarding: Default::default(),
        }
    }

    fn seen(last: Instant) -> Seen {
        Seen {
            namespace: "default".into(),
            name: "e".into(),
            count: 1,
            last,
        }
    }

    #[test]
    fn a_full_cache_forgets_expired_series_first() {
        let now = Instant::now() + SERIES_TTL * 2;
        let mut cache = HashMap::new();
        for i in 0..MAX_CACHED {
            let last = if i % 4 == 0 { now - SERIES_TTL } else { now };
            cache.insert(key(i), seen(last));
        }
        forget_oldest(&mut cache, now);
        assert_eq!(cache.len(), MAX_CACHED - MAX_CACHED / 4);
        assert!(!cache.contains_key(&key(0)));
        assert!(cache.contains_key(&key(1)));
    }

    #[test]
    fn a_full_cache_of_live_series_keeps_the_newer_half() {
        let start = Instant::now();
        let mut cache = HashMap::new();
        for i in 0..MAX_CACHED {
            cache.insert(key(i), seen(start + Duration::from_millis(i as u64)));
        }
        let now = start + Duration::from_secs(1);
        forget_oldest(&mut cache, now);
        assert_eq!(cache.len(), MAX_CACHED / 2 - 1);
        assert!(cache.contains_key(&key(MAX_CACHED - 1)));
        assert!(!cache.contains_key(&key(0)));
        assert!(!cache.contains_key(&key(MAX_CACHED / 2)));
    }
}
