//! Printers for the `batch` group.

use jiff::Timestamp;
use serde_json::Value;

use super::docs as d;
use super::labels::format_label_selector;
use super::{
    AGE, CONTAINERS_DESC, Column, IMAGES_DESC, NAME, age, arr_at, bool_ptr, col, get,
    human_duration, int_at, is_deleting, layout_containers, len_at, name, opt_bool, opt_int,
    opt_str, since, str_at, time_at, wide,
};

pub(super) const JOB: &[Column] = &[
    NAME,
    col("Status", "string", "Status of the job."),
    col("Completions", "string", d::JOB_STATUS_SUCCEEDED),
    col("Duration", "string", "Time required to complete the job."),
    AGE,
    wide("Containers", "string", CONTAINERS_DESC),
    wide("Images", "string", IMAGES_DESC),
    wide("Selector", "string", d::JOB_SPEC_SELECTOR),
];

/// Upstream's `hasJobCondition`: the first condition of the type decides.
fn has_condition(job: &Value, type_: &str) -> bool {
    arr_at(job, &["status", "conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == type_)
        .is_some_and(|c| str_at(c, &["status"]) == "True")
}

pub(super) fn job(job: &Value, now: Timestamp) -> Vec<Value> {
    let succeeded = int_at(job, &["status", "succeeded"]);
    let completions = match opt_int(job, &["spec", "completions"]) {
        Some(c) => format!("{succeeded}/{c}"),
        None => match int_at(job, &["spec", "parallelism"]) {
            p if p > 1 => format!("{succeeded}/1 of {p}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let duration = match (
        time_at(job, &["status", "startTime"]),
        time_at(job, &["status", "completionTime"]),
    ) {
        (None, _) => String::new(),
        (Some(start), None) => human_duration(now.duration_since(start)),
        (Some(start), Some(end)) => human_duration(end.duration_since(start)),
    };
    let status = if has_condition(job, "Complete") {
        "Complete"
    } else if has_condition(job, "Failed") {
        "Failed"
    } else if is_deleting(job) {
        "Terminating"
    } else if has_condition(job, "Suspended") {
        "Suspended"
    } else if has_condition(job, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let (names, images) =
        layout_containers(arr_at(job, &["spec", "template", "spec", "containers"]));
    vec![
        Value::from(name(job)),
        Value::from(status),
        Value::from(completions),
        Value::from(duration),
        age(job, now),
        names,
        images,
        Value::from(format_label_selector(get(job, &["spec", "selector"]))),
    ]
}

pub(super) const CRON_JOB: &[Column] = &[
    NAME,
    col("Schedule", "string", d::CRONJOB_SPEC_SCHEDULE),
    col("Timezone", "string", d::CRONJOB_SPEC_TIME_ZONE),
    col("Suspend", "boolean", d::CRONJOB_SPEC_SUSPEND),
    col("Active", "integer", d::CRONJOB_STATUS_ACTIVE),
    col("Last Schedule", "string", d::CRONJOB_STATUS_LAST_SCHEDULE),
    AGE,
    wide("Containers", "string", CONTAINERS_DESC),
    wide("Images", "string", IMAGES_DESC),
    wide("Selector", "string", d::JOB_SPEC_SELECTOR),
];

pub(super) fn cron_job(obj: &Value, now: Timestamp) -> Vec<Value> {
    let last_schedule = match get(obj, &["status", "lastScheduleTime"]) {
        Some(t) => since(super::parse_time(t), now),
        None => "<none>".to_owned(),
    };
    let job_spec = &["spec", "jobTemplate", "spec"];
    let template = get(obj, job_spec).unwrap_or(&Value::Null);
    let (names, images) = layout_containers(arr_at(template, &["template", "spec", "containers"]));
    vec![
        Value::from(name(obj)),
        Value::from(str_at(obj, &["spec", "schedule"])),
        Value::from(opt_str(obj, &["spec", "timeZone"]).unwrap_or("<none>")),
        Value::from(bool_ptr(opt_bool(obj, &["spec", "suspend"]))),
        Value::from(len_at(obj, &["status", "active"])),
        Value::from(last_schedule),
        age(obj, now),
        names,
        images,
        Value::from(format_label_selector(get(template, &["selector"]))),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use serde_json::{Value, json};

    fn job(spec: Value, status: Value) -> Value {
        let mut spec = spec;
        spec["template"] = json!({"spec": {"containers": [{"name": "pi", "image": "perl:5.34"}]}});
        spec["selector"] = json!({"matchLabels": {"batch.kubernetes.io/controller-uid": "abc"}});
        json!({
            "metadata": {"name": "pi", "creationTimestamp": ago(300)},
            "spec": spec,
            "status": status
        })
    }

    fn cond(type_: &str, status: &str) -> Value {
        json!({"type": type_, "status": status})
    }

    #[test]
    fn job_row() {
        assert_eq!(
            headers("batch", "Job"),
            [
                "Name",
                "Status",
                "Completions",
                "Duration",
                "Age",
                "Containers*",
                "Images*",
                "Selector*"
            ]
        );
        let done = job(
            json!({"completions": 1, "parallelism": 1}),
            json!({"succeeded": 1, "startTime": ago(300), "completionTime": ago(300 - 47),
                   "conditions": [cond("SuccessCriteriaMet", "True"), cond("Complete", "True")]}),
        );
        assert_eq!(
            row("batch", "Job", &done),
            [
                "pi",
                "Complete",
                "1/1",
                "47s",
                "5m",
                "pi",
                "perl:5.34",
                "batch.kubernetes.io/controller-uid=abc"
            ]
        );
    }

    #[test]
    fn job_status_and_completions() {
        let cases: Vec<(Value, Value, &str, &str, &str)> = vec![
            // (spec, status, STATUS, COMPLETIONS, DURATION)
            (
                json!({"completions": 5}),
                json!({"succeeded": 2, "startTime": ago(200)}),
                "Running",
                "2/5",
                "3m20s",
            ),
            (
                json!({"parallelism": 3}),
                json!({"succeeded": 0}),
                "Running",
                "0/1 of 3",
                "",
            ),
            (json!({"parallelism": 1}), json!({}), "Running", "0/1", ""),
            (json!({}), json!({}), "Running", "0/1", ""),
            (
                json!({"completions": 1}),
                json!({"failed": 1, "startTime": ago(4000), "conditions": [cond("FailureTarget", "True"), cond("Failed", "True")]}),
                "Failed",
                "0/1",
                "66m",
            ),
            (
                json!({"completions": 1}),
                json!({"conditions": [cond("FailureTarget", "True")], "startTime": ago(10)}),
                "FailureTarget",
                "0/1",
                "10s",
            ),
            (
                json!({"completions": 1, "suspend": true}),
                json!({"conditions": [cond("Suspended", "True")]}),
                "Suspended",
                "0/1",
                "",
            ),
            (
                json!({"completions": 1}),
                json!({"conditions": [cond("Suspended", "False")]}),
                "Running",
                "0/1",
                "",
            ),
            (
                json!({"completions": 3}),
                json!({"succeeded": 3, "startTime": ago(86400 * 3), "completionTime": ago(86400), "conditions": [cond("Complete", "True")]}),
                "Complete",
                "3/3",
                "2d",
            ),
        ];
        for (spec, status, want_status, want_completions, want_duration) in cases {
            let cells = row("batch", "Job", &job(spec.clone(), status.clone()));
            assert_eq!(
                (cells[1].as_str(), cells[2].as_str(), cells[3].as_str()),
                (want_status, want_completions, want_duration),
                "spec {spec} status {status}"
            );
        }
    }

    #[test]
    fn job_terminating_ranks_below_finished() {
        let mut running = job(json!({"completions": 1}), json!({}));
        running["metadata"]["deletionTimestamp"] = json!(ago(1));
        assert_eq!(row("batch", "Job", &running)[1], "Terminating");
        let mut complete = job(
            json!({"completions": 1}),
            json!({"conditions": [cond("Complete", "True")]}),
        );
        complete["metadata"]["deletionTimestamp"] = json!(ago(1));
        assert_eq!(row("batch", "Job", &complete)[1], "Complete");
        let mut suspended = job(
            json!({"completions": 1}),
            json!({"conditions": [cond("Suspended", "True")]}),
        );
        suspended["metadata"]["deletionTimestamp"] = json!(ago(1));
        assert_eq!(row("batch", "Job", &suspended)[1], "Terminating");
    }

    #[test]
    fn cron_job_row() {
        assert_eq!(
            headers("batch", "CronJob"),
            [
                "Name",
                "Schedule",
                "Timezone",
                "Suspend",
                "Active",
                "Last Schedule",
                "Age",
                "Containers*",
                "Images*",
                "Selector*"
            ]
        );
        let obj = json!({
            "metadata": {"name": "hello", "creationTimestamp": ago(86400 * 10)},
            "spec": {
                "schedule": "*/5 * * * *",
                "timeZone": "Etc/UTC",
                "suspend": false,
                "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "hello", "image": "busybox:1.36"}]}}}}
            },
            "status": {"active": [{"name": "hello-123"}, {"name": "hello-456"}], "lastScheduleTime": ago(75)}
        });
        assert_eq!(
            row("batch", "CronJob", &obj),
            [
                "hello",
                "*/5 * * * *",
                "Etc/UTC",
                "False",
                "2",
                "75s",
                "10d",
                "hello",
                "busybox:1.36",
                "<none>"
            ]
        );
        let never = json!({
            "metadata": {"name": "nightly", "creationTimestamp": ago(60)},
            "spec": {"schedule": "@daily", "suspend": true, "jobTemplate": {"spec": {"selector": {"matchLabels": {"a": "b"}}}}}
        });
        assert_eq!(
            row("batch", "CronJob", &never),
            [
                "nightly", "@daily", "<none>", "True", "0", "<none>", "60s", "", "", "a=b"
            ]
        );
        assert_eq!(row("batch", "CronJob", &json!({}))[3], "<unset>");
    }
}
