//! The scheduling queue, after upstream's `PriorityQueue`: pods wait in `active` (highest
//! priority first, then oldest), in `backoff` after a failed attempt (1 s doubling to 10 s), or
//! among the `unschedulable` until the cluster changes (or 5 minutes pass).

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::controllers::cached::Pod;

use super::snapshot::{PodKey, pod_key};

pub const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How long a pod may stay unschedulable without a cluster change before it is retried anyway
/// (upstream's `podMaxInUnschedulablePodsDuration`).
pub const MAX_UNSCHEDULABLE: Duration = Duration::from_secs(5 * 60);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// In `active`, with its sequence number.
    Active(u64),
    /// In `backoff`, until the instant.
    Backoff(Instant),
    /// Waiting for a cluster change, since the instant.
    Unschedulable(Instant),
    /// Has scheduling gates; waits for them to be removed.
    Gated,
    /// Popped: being scheduled or bound.
    InFlight,
}

struct Entry {
    pod: Arc<Pod>,
    attempts: u32,
    last_failure: Option<Instant>,
    place: Place,
}

/// A pod handed out for a scheduling attempt.
pub struct Popped {
    pub pod: Arc<Pod>,
    pub attempts: u32,
    /// The scheduling cycle of this attempt.
    pub cycle: u64,
}

#[derive(Default)]
pub struct Queue {
    entries: HashMap<PodKey, Entry>,
    active: BTreeSet<(Reverse<i32>, u64, PodKey)>,
    backoff: BTreeSet<(Instant, PodKey)>,
    unschedulable: HashSet<PodKey>,
    seq: u64,
    cycle: u64,
    /// The cycle during which the cluster last changed: pods failing in an attempt started
    /// before it go to backoff rather than waiting for another change.
    move_request_cycle: u64,
}

fn priority(pod: &Pod) -> i32 {
    pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0)
}

fn gated(pod: &Pod) -> bool {
    pod.spec
        .as_ref()
        .and_then(|s| s.scheduling_gates.as_ref())
        .is_some_and(|g| !g.is_empty())
}

/// Whether placing other pods may help the pod: it has required pod affinity or spread
/// constraints.
fn waits_for_pods(pod: &Pod) -> bool {
    let spec = pod.spec.as_ref();
    spec.and_then(|s| s.topology_spread_constraints.as_ref())
        .is_some_and(|c| !c.is_empty())
        || spec
            .and_then(|s| s.affinity.as_ref())
            .and_then(|a| a.pod_affinity.as_ref())
            .and_then(|a| {
                a.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .is_some_and(|t| !t.is_empty())
}

/// Whether an update may make an unschedulable pod schedulable: anything but its status and
/// bookkeeping metadata changed.
fn relevant_update(old: &Pod, new: &Pod) -> bool {
    old.spec != new.spec
        || old.metadata.labels != new.metadata.labels
        || old.metadata.annotations != new.metadata.annotations
}

/// Backoff after `attempts` failed attempts: 1 s doubling, at most 10 s.
pub fn backoff_duration(attempts: u32) -> Duration {
    let mut d = INITIAL_BACKOFF;
    for _ in 1..attempts {
        if d >= MAX_BACKOFF {
            break;
        }
        d *= 2;
    }
    d.min(MAX_BACKOFF)
}

impl Queue {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn has_active(&self) -> bool {
        !self.active.is_empty()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// Whether the pod waits for gates to be removed.
    pub fn is_gated(&self, key: &str) -> bool {
        self.entries
            .get(key)
            .is_some_and(|e| e.place == Place::Gated)
    }

    fn unplace(&mut self, key: &str) {
        let Some(e) = self.entries.get(key) else {
            return;
        };
        match e.place {
            Place::Active(seq) => {
                self.active
                    .remove(&(Reverse(priority(&e.pod)), seq, key.to_owned()));
            }
            Place::Backoff(until) => {
                self.backoff.remove(&(until, key.to_owned()));
            }
            Place::Unschedulable(_) => {
                self.unschedulable.remove(key);
            }
            _ => {}
        }
    }

    fn to_active(&mut self, key: &str) {
        self.unplace(key);
        self.seq += 1;
        let seq = self.seq;
        if let Some(e) = self.entries.get_mut(key) {
            if gated(&e.pod) {
                e.place = Place::Gated;
                return;
            }
            e.place = Place::Active(seq);
            self.active
                .insert((Reverse(priority(&e.pod)), seq, key.to_owned()));
        }
    }

    fn backoff_until(e: &Entry) -> Option<Instant> {
        e.last_failure.map(|t| t + backoff_duration(e.attempts))
    }

    /// Moves a waiting pod to backoff if it is still backing off, else to active.
    fn to_active_or_backoff(&mut self, key: &str, now: Instant) {
        let until = self.entries.get(key).and_then(Self::backoff_until);
        match until {
            Some(until) if until > now => {
                self.unplace(key);
                if let Some(e) = self.entries.get_mut(key) {
                    e.place = Place::Backoff(until);
                    self.backoff.insert((until, key.to_owned()));
                }
            }
            _ => self.to_active(key),
        }
    }

    /// A pending pod was created or updated.
    pub fn add_or_update(&mut self, pod: Arc<Pod>, now: Instant) {
        let key = pod_key(&pod);
        let Some(e) = self.entries.get_mut(&key) else {
            self.entries.insert(
                key.clone(),
                Entry {
                    pod,
                    attempts: 0,
                    last_failure: None,
                    place: Place::InFlight,
                },
            );
            self.to_active(&key);
            return;
        };
        let relevant = relevant_update(&e.pod, &pod);
        match e.place {
            Place::Active(_) | Place::Backoff(_) => {
                // Re-insert: the priority (part of the ordering key) may have changed.
                let place = e.place;
                self.unplace(&key);
                let e = self.entries.get_mut(&key).expect("entry present");
                e.pod = pod;
                match place {
                    Place::Backoff(until) => {
                        self.backoff.insert((until, key.clone()));
                    }
                    Place::Active(seq) => {
                        if gated(&e.pod) {
                            e.place = Place::Gated;
                        } else {
                            self.active
                                .insert((Reverse(priority(&e.pod)), seq, key.clone()));
                        }
                    }
                    _ => {}
                }
            }
            Place::Unschedulable(_) | Place::Gated => {
                e.pod = pod;
                if relevant {
                    self.to_active_or_backoff(&key, now);
                }
            }
            Place::InFlight => e.pod = pod,
        }
    }

    /// The pod was deleted, bound or is no longer ours.
    pub fn remove(&mut self, key: &str) {
        self.unplace(key);
        self.entries.remove(key);
    }

    /// The next pod to schedule.
    pub fn pop(&mut self) -> Option<Popped> {
        let (_, _, key) = self.active.pop_first()?;
        let e = self
            .entries
            .get_mut(&key)
            .expect("active pods have entries");
        e.place = Place::InFlight;
        e.attempts += 1;
        self.cycle += 1;
        Some(Popped {
            pod: e.pod.clone(),
            attempts: e.attempts,
            cycle: self.cycle,
        })
    }

    /// An attempt failed. Unschedulable pods wait for a cluster change, unless one happened
    /// while they were being scheduled; errors back off.
    pub fn failed(&mut self, key: &str, cycle: u64, unschedulable: bool, now: Instant) {
        let move_requested = self.move_request_cycle >= cycle;
        let Some(e) = self.entries.get_mut(key) else {
            return;
        };
        e.last_failure = Some(now);
        if unschedulable && !move_requested {
            e.place = Place::Unschedulable(now);
            self.unschedulable.insert(key.to_owned());
        } else {
            let until = now + backoff_duration(e.attempts);
            e.place = Place::Backoff(until);
            self.backoff.insert((until, key.to_owned()));
        }
    }

    /// The cluster changed in a way that may let unschedulable pods fit.
    pub fn move_all(&mut self, now: Instant) {
        self.move_request_cycle = self.cycle;
        let waiting: Vec<PodKey> = self.unschedulable.iter().cloned().collect();
        for key in waiting {
            self.to_active_or_backoff(&key, now);
        }
    }

    /// A pod was placed on a node: moves the unschedulable pods that such a change may help
    /// (those with required pod affinity or topology spread constraints).
    pub fn move_all_waiting_for_pods(&mut self, now: Instant) {
        if self.unschedulable.is_empty() {
            return;
        }
        self.move_request_cycle = self.cycle;
        let waiting: Vec<PodKey> = self
            .unschedulable
            .iter()
            .filter(|k| self.entries.get(*k).is_some_and(|e| waits_for_pods(&e.pod)))
            .cloned()
            .collect();
        for key in waiting {
            self.to_active_or_backoff(&key, now);
        }
    }

    /// Moves pods whose backoff is over, and pods unschedulable for too long, to active.
    pub fn flush(&mut self, now: Instant) {
        while let Some((until, key)) = self.backoff.first().cloned() {
            if until > now {
                break;
            }
            self.to_active(&key);
        }
        let stale: Vec<PodKey> = self
            .unschedulable
            .iter()
            .filter(|k| {
                self.entries.get(*k).is_some_and(|e| {
                    matches!(e.place, Place::Unschedulable(since) if now.duration_since(since) >= MAX_UNSCHEDULABLE)
                })
            })
            .cloned()
            .collect();
        for key in stale {
            self.to_active_or_backoff(&key, now);
        }
    }

    /// When the next backoff ends.
    pub fn next_backoff(&self) -> Option<Instant> {
        self.backoff.first().map(|(t, _)| *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, priority: i32, labels: serde_json::Value) -> Arc<Pod> {
        Arc::new(
            serde_json::from_value(json!({
                "metadata": {"name": name, "namespace": "ns", "labels": labels},
                "spec": {"priority": priority, "containers": [{"name": "c"}]}
            }))
            .unwrap(),
        )
    }

    #[test]
    fn priority_then_age() {
        let mut q = Queue::default();
        let now = Instant::now();
        q.add_or_update(pod("a", 0, json!({})), now);
        q.add_or_update(pod("b", 10, json!({})), now);
        q.add_or_update(pod("c", 0, json!({})), now);
        let order: Vec<String> = std::iter::from_fn(|| q.pop())
            .map(|p| p.pod.metadata.name.clone().unwrap())
            .collect();
        assert_eq!(order, ["b", "a", "c"]);
    }

    #[test]
    fn backoff_doubles_to_ten_seconds() {
        let got: Vec<u64> = (1..=6).map(|a| backoff_duration(a).as_secs()).collect();
        assert_eq!(got, [1, 2, 4, 8, 10, 10]);
    }

    #[test]
    fn unschedulable_pods_wait_for_cluster_changes() {
        let mut q = Queue::default();
        let t0 = Instant::now();
        q.add_or_update(pod("a", 0, json!({})), t0);
        let p = q.pop().unwrap();
        q.failed("ns/a", p.cycle, true, t0);
        assert!(!q.has_active());
        q.flush(t0 + Duration::from_secs(60));
        assert!(!q.has_active(), "no change: still waiting");
        // A cluster change after the backoff: straight to active.
        q.move_all(t0 + Duration::from_secs(2));
        assert!(q.has_active());
        let p = q.pop().unwrap();
        assert_eq!(p.attempts, 2);
        // A change soon after a failure: backoff (2 s for the second attempt) first.
        let t1 = t0 + Duration::from_secs(10);
        q.failed("ns/a", p.cycle, true, t1);
        q.move_all(t1 + Duration::from_millis(500));
        assert!(!q.has_active());
        assert_eq!(q.next_backoff(), Some(t1 + Duration::from_secs(2)));
        q.flush(t1 + Duration::from_secs(2));
        assert!(q.has_active());
    }

    #[test]
    fn unschedulable_pods_are_retried_after_five_minutes() {
        let mut q = Queue::default();
        let t0 = Instant::now();
        q.add_or_update(pod("a", 0, json!({})), t0);
        let p = q.pop().unwrap();
        q.failed("ns/a", p.cycle, true, t0);
        q.flush(t0 + MAX_UNSCHEDULABLE - Duration::from_secs(1));
        assert!(!q.has_active());
        q.flush(t0 + MAX_UNSCHEDULABLE);
        assert!(q.has_active());
    }

    #[test]
    fn change_during_attempt_means_backoff() {
        let mut q = Queue::default();
        let t0 = Instant::now();
        q.add_or_update(pod("a", 0, json!({})), t0);
        let p = q.pop().unwrap();
        q.move_all(t0);
        q.failed("ns/a", p.cycle, true, t0);
        assert_eq!(q.next_backoff(), Some(t0 + Duration::from_secs(1)));
    }

    #[test]
    fn relevant_updates_requeue() {
        let mut q = Queue::default();
        let t0 = Instant::now();
        q.add_or_update(pod("a", 0, json!({})), t0);
        let p = q.pop().unwrap();
        q.failed("ns/a", p.cycle, true, t0);
        // A status-only update (the scheduler's own condition) changes nothing.
        let mut status_only = Pod::clone(&pod("a", 0, json!({})));
        status_only.status = Some(Default::default());
        q.add_or_update(Arc::new(status_only), t0);
        assert!(!q.has_active());
        q.add_or_update(pod("a", 0, json!({"x": "y"})), t0 + Duration::from_secs(5));
        assert!(q.has_active());
    }

    #[test]
    fn gated_pods_wait_for_their_gates() {
        let mut q = Queue::default();
        let t0 = Instant::now();
        let mut p = Pod::clone(&pod("a", 0, json!({})));
        p.spec.as_mut().unwrap().scheduling_gates =
            Some(vec![k8s_openapi::api::core::v1::PodSchedulingGate {
                name: "g".into(),
            }]);
        q.add_or_update(Arc::new(p), t0);
        assert!(!q.has_active());
        assert!(q.is_gated("ns/a"));
        q.add_or_update(pod("a", 0, json!({})), t0);
        assert!(q.has_active());
    }
}
