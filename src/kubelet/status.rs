//! Pure parts of what the kubelet reports: the pod's phase from its containers' states (as
//! upstream's `getPhase`), a container's terminated state from how the runtime says it ended,
//! and the restart back-off behind CrashLoopBackOff.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Container, ContainerStateTerminated, ContainerStatus, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::runtime::container::{ExitInfo, Reason};

fn status_of<'a>(statuses: &'a [ContainerStatus], name: &str) -> Option<&'a ContainerStatus> {
    statuses.iter().find(|s| s.name == name)
}

fn is_restartable_init(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// The pod's phase. `pod_is_terminal`: the kubelet has decided the pod will run nothing more
/// (deleted, evicted, or finished under its restart policy); `initialized`: the pod's
/// Initialized condition is already true.
pub fn pod_phase(
    pod: &Pod,
    init_statuses: &[ContainerStatus],
    statuses: &[ContainerStatus],
    pod_is_terminal: bool,
    initialized: bool,
) -> &'static str {
    let Some(spec) = pod.spec.as_ref() else {
        return "Pending";
    };
    let restart_policy = spec.restart_policy.as_deref().unwrap_or("Always");
    let init = spec.init_containers.as_deref().unwrap_or(&[]);
    let terminated_code = |s: &ContainerStatus| {
        s.state
            .as_ref()
            .and_then(|st| st.terminated.as_ref())
            .map(|t| t.exit_code)
    };
    let last_terminated = |s: &ContainerStatus| {
        s.last_state
            .as_ref()
            .and_then(|st| st.terminated.as_ref())
            .map(|t| t.exit_code)
    };
    let running = |s: &ContainerStatus| s.state.as_ref().is_some_and(|st| st.running.is_some());
    let waiting = |s: &ContainerStatus| s.state.as_ref().is_some_and(|st| st.waiting.is_some());

    let mut pending_init = 0;
    let mut failed_init = 0;
    for c in init.iter().filter(|c| !is_restartable_init(c)) {
        match status_of(init_statuses, &c.name) {
            None => pending_init += 1,
            Some(s) if running(s) => pending_init += 1,
            Some(s) => match terminated_code(s) {
                Some(code) => failed_init += usize::from(code != 0),
                None if waiting(s) => match last_terminated(s) {
                    Some(code) => failed_init += usize::from(code != 0),
                    None => pending_init += 1,
                },
                None => pending_init += 1,
            },
        }
    }

    let (mut unknown, mut n_running, mut n_waiting, mut stopped, mut succeeded) = (0, 0, 0, 0, 0);
    let mut pending_sidecars = 0;
    for c in init.iter().filter(|c| is_restartable_init(c)) {
        match status_of(init_statuses, &c.name) {
            None => unknown += 1,
            Some(s) if running(s) => {
                if s.started != Some(true) {
                    pending_sidecars += 1;
                }
                n_running += 1;
            }
            Some(s) if terminated_code(s).is_some() => {}
            Some(s) if waiting(s) => {
                if last_terminated(s).is_none() {
                    pending_sidecars += 1;
                    n_waiting += 1;
                }
            }
            Some(_) => {
                pending_sidecars += 1;
                unknown += 1;
            }
        }
    }
    for c in &spec.containers {
        match status_of(statuses, &c.name) {
            None => unknown += 1,
            Some(s) if running(s) => n_running += 1,
            Some(s) => match terminated_code(s) {
                Some(code) => {
                    stopped += 1;
                    succeeded += usize::from(code == 0);
                }
                None if waiting(s) => {
                    if last_terminated(s).is_some() {
                        stopped += 1;
                    } else {
                        n_waiting += 1;
                    }
                }
                None => unknown += 1,
            },
        }
    }

    if failed_init > 0 && restart_policy == "Never" {
        return "Failed";
    }
    if pending_init > 0 || (pending_sidecars > 0 && !initialized) || n_waiting > 0 {
        return "Pending";
    }
    if n_running > 0 && unknown == 0 {
        return "Running";
    }
    if n_running == 0 && stopped > 0 && unknown == 0 {
        if pod_is_terminal {
            return if stopped == succeeded {
                "Succeeded"
            } else {
                "Failed"
            };
        }
        if restart_policy == "Always" {
            return "Running";
        }
        if stopped == succeeded {
            return "Succeeded";
        }
        if restart_policy == "Never" {
            return "Failed";
        }
        return "Running";
    }
    "Pending"
}

fn time(s: &str) -> Option<Time> {
    s.parse::<jiff::Timestamp>().ok().map(Time)
}

/// The `terminated` state of a container that ended so.
pub fn terminated(exit: &ExitInfo, container_id: &str) -> ContainerStateTerminated {
    ContainerStateTerminated {
        exit_code: exit.code,
        signal: exit.signal,
        reason: Some(
            match exit.reason {
                Reason::Completed => "Completed",
                Reason::Error => "Error",
                Reason::OOMKilled => "OOMKilled",
            }
            .to_owned(),
        ),
        started_at: time(&exit.started_at),
        finished_at: time(&exit.finished_at),
        container_id: Some(container_id.to_owned()),
        message: None,
    }
}

/// The kubelet's back-off before restarting a container that keeps ending: 10 s, doubled
/// after each restart up to 5 minutes, and forgotten once the container has run for twice
/// that long (upstream's `backOffPeriod`, `MaxContainerBackOff`).
#[derive(Clone, Debug)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    current: Option<Duration>,
    last_start: Option<Instant>,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff::new(Duration::from_secs(10), Duration::from_secs(300))
    }
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            initial,
            max,
            current: None,
            last_start: None,
        }
    }

    /// The container was started at `now`.
    pub fn started(&mut self, now: Instant) {
        self.last_start = Some(now);
    }

    /// The container ended at `now`: how long to wait before starting it again
    /// (CrashLoopBackOff while that lasts).
    pub fn ended(&mut self, now: Instant) -> Duration {
        let stable = self
            .last_start
            .is_some_and(|s| now.duration_since(s) >= self.max * 2);
        self.current = match self.current {
            Some(d) if !stable => Some((d * 2).min(self.max)),
            _ => Some(self.initial),
        };
        self.current.expect("set")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(restart_policy: &str, init: &[&str], containers: &[&str]) -> Pod {
        let c = |names: &[&str]| -> Vec<serde_json::Value> {
            names
                .iter()
                .map(|n| match n.strip_suffix("+sidecar") {
                    Some(n) => json!({"name": n, "image": "x", "restartPolicy": "Always"}),
                    None => json!({"name": n, "image": "x"}),
                })
                .collect()
        };
        serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"restartPolicy": restart_policy, "initContainers": c(init), "containers": c(containers)},
        }))
        .unwrap()
    }

    fn st(name: &str, state: &str, last_code: Option<i32>) -> ContainerStatus {
        let state = match state {
            "running" => json!({"running": {}}),
            "waiting" => json!({"waiting": {"reason": "CrashLoopBackOff"}}),
            s => {
                let code: i32 = s.strip_prefix("exit").unwrap().parse().unwrap();
                json!({"terminated": {"exitCode": code}})
            }
        };
        let last = last_code.map_or(json!({}), |c| json!({"terminated": {"exitCode": c}}));
        serde_json::from_value(json!({
            "name": name, "image": "x", "imageID": "", "ready": false, "restartCount": 0,
            "state": state, "lastState": last, "started": state.get("running").is_some(),
        }))
        .unwrap()
    }

    #[test]
    fn phases_follow_upstream() {
        let p = pod("Always", &[], &["a", "b"]);
        assert_eq!(
            pod_phase(&p, &[], &[], false, false),
            "Pending",
            "no status yet"
        );
        let both = [st("a", "running", None), st("b", "running", None)];
        assert_eq!(pod_phase(&p, &[], &both, false, true), "Running");
        let one_waiting = [st("a", "running", None), st("b", "waiting", None)];
        assert_eq!(pod_phase(&p, &[], &one_waiting, false, true), "Pending");
        // Restarting after a crash still counts as Running under Always.
        let crashed = [st("a", "running", None), st("b", "waiting", Some(1))];
        assert_eq!(pod_phase(&p, &[], &crashed, false, true), "Running");
        let all_done = [st("a", "exit0", None), st("b", "exit1", None)];
        assert_eq!(pod_phase(&p, &[], &all_done, false, true), "Running");
        assert_eq!(
            pod_phase(&p, &[], &all_done, true, true),
            "Failed",
            "terminal pod"
        );

        let never = pod("Never", &[], &["a", "b"]);
        assert_eq!(pod_phase(&never, &[], &all_done, false, true), "Failed");
        let ok = [st("a", "exit0", None), st("b", "exit0", None)];
        assert_eq!(pod_phase(&never, &[], &ok, false, true), "Succeeded");
        let on_failure = pod("OnFailure", &[], &["a", "b"]);
        assert_eq!(
            pod_phase(&on_failure, &[], &all_done, false, true),
            "Running"
        );
        assert_eq!(pod_phase(&on_failure, &[], &ok, false, true), "Succeeded");
    }

    #[test]
    fn init_containers_hold_the_pod_pending_and_fail_it_under_never() {
        let p = pod("Never", &["setup"], &["app"]);
        let running_init = [st("setup", "running", None)];
        assert_eq!(pod_phase(&p, &running_init, &[], false, false), "Pending");
        let failed_init = [st("setup", "exit2", None)];
        assert_eq!(pod_phase(&p, &failed_init, &[], false, false), "Failed");
        let p = pod("Always", &["setup"], &["app"]);
        assert_eq!(
            pod_phase(&p, &failed_init, &[], false, false),
            "Pending",
            "retried"
        );
        let done = [st("setup", "exit0", None)];
        let app = [st("app", "running", None)];
        assert_eq!(pod_phase(&p, &done, &app, false, true), "Running");

        // A sidecar (restartable init container) that has not started holds the pod
        // Pending until it is initialized.
        let p = pod("Always", &["log+sidecar"], &["app"]);
        let sidecar = [st("log", "waiting", None)];
        assert_eq!(pod_phase(&p, &sidecar, &[], false, false), "Pending");
        let sidecar = [st("log", "running", None)];
        assert_eq!(pod_phase(&p, &sidecar, &app, false, true), "Running");
    }

    #[test]
    fn terminated_states_carry_reason_code_and_times() {
        let exit = ExitInfo {
            code: 137,
            signal: Some(9),
            reason: Reason::OOMKilled,
            started_at: "2026-11-23T01:00:00.5Z".into(),
            finished_at: "2026-11-23T01:00:02Z".into(),
        };
        let t = terminated(&exit, "orch://abc");
        assert_eq!(
            (t.exit_code, t.signal, t.reason.as_deref()),
            (137, Some(9), Some("OOMKilled"))
        );
        assert_eq!(t.finished_at.unwrap().0.to_string(), "2026-11-23T01:00:02Z");
        assert_eq!(t.container_id.as_deref(), Some("orch://abc"));
    }

    #[test]
    fn backoff_doubles_to_five_minutes_and_resets_after_a_stable_run() {
        let mut b = Backoff::default();
        let t0 = Instant::now();
        let mut waits = Vec::new();
        for i in 0..7 {
            let start = t0 + Duration::from_secs(i * 1000);
            b.started(start);
            waits.push(b.ended(start + Duration::from_secs(1)).as_secs());
        }
        assert_eq!(waits, [10, 20, 40, 80, 160, 300, 300]);
        let start = t0 + Duration::from_secs(100_000);
        b.started(start);
        assert_eq!(b.ended(start + Duration::from_secs(601)).as_secs(), 10);
    }
}
