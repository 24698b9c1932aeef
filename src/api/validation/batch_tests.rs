//! batch/v1 Jobs and CronJobs.

use super::*;
use serde_json::json;

fn msgs(errs: Vec<FieldError>) -> Vec<String> {
    errs.into_iter().map(|e| e.to_string()).collect()
}

fn template(restart: &str) -> Value {
    json!({"spec": {"restartPolicy": restart, "containers": [{"name": "job", "image": "busybox"}]}})
}

fn job(extra: Value) -> Value {
    let mut spec = json!({"template": template("Never")});
    if let (Some(m), Some(e)) = (spec.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    json!({"metadata": {"name": "etl", "namespace": "default"}, "spec": spec})
}

/// A Job as the create strategy leaves it: selector and labels generated.
fn generated(uid: &str) -> Value {
    let mut j = job(json!({}));
    j["metadata"]["uid"] = json!(uid);
    j["spec"]["selector"] = json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}});
    j["spec"]["template"]["metadata"] = json!({"labels": {
        "batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "etl",
        "controller-uid": uid, "job-name": "etl"}});
    j
}

#[test]
fn jobs() {
    assert!(validate_job(&job(json!({"backoffLimit": 4}))).is_empty());
    assert!(validate_job(&generated("u-1")).is_empty());
    assert!(validate_job(&job(json!({"completionMode": "Indexed", "completions": 3, "parallelism": 3, "backoffLimitPerIndex": 1, "maxFailedIndexes": 1}))).is_empty());
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            job(json!({"template": template("Always")})),
            vec![
                "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"",
            ],
        ),
        (
            job(
                json!({"template": {"spec": {"containers": [{"name": "job", "image": "busybox"}]}}}),
            ),
            vec![
                "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"",
            ],
        ),
        (
            job(
                json!({"parallelism": -1, "completions": -1, "backoffLimit": -1, "activeDeadlineSeconds": -1, "ttlSecondsAfterFinished": -1}),
            ),
            vec![
                "spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
                "spec.completions: Invalid value: -1: must be greater than or equal to 0",
                "spec.activeDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0",
                "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0",
                "spec.ttlSecondsAfterFinished: Invalid value: -1: must be greater than or equal to 0",
            ],
        ),
        (
            job(json!({"completionMode": "Batched"})),
            vec![
                "spec.completionMode: Unsupported value: \"Batched\": supported values: \"NonIndexed\", \"Indexed\"",
            ],
        ),
        (
            job(json!({"completionMode": "Indexed"})),
            vec!["spec.completions: Required value: when completion mode is Indexed"],
        ),
        (
            job(json!({"backoffLimitPerIndex": 1})),
            vec!["spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode"],
        ),
        (
            job(json!({"maxFailedIndexes": 1})),
            vec![
                "spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified",
                "spec.maxFailedIndexes: Invalid value: 1: requires indexed completion mode",
            ],
        ),
        (
            job(json!({"manualSelector": true})),
            vec!["spec.selector: Required value"],
        ),
        (
            job(json!({"manualSelector": true, "selector": {"matchLabels": {"app": "etl"}}})),
            vec![
                "spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`",
            ],
        ),
        (
            job(
                json!({"podFailurePolicy": {"rules": [{"action": "Explode", "onExitCodes": {"operator": "In", "values": [0, 3, 1]}}, {"action": "Ignore"}]}}),
            ),
            vec![
                "spec.podFailurePolicy.rules[0].action: Unsupported value: \"Explode\": supported values: \"Count\", \"FailIndex\", \"FailJob\", \"Ignore\"",
                "spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator",
                "spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{0, 3, 1}: must be ordered",
                "spec.podFailurePolicy.rules[1]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required",
            ],
        ),
        (
            job(json!({"podFailurePolicy": {"rules": []}, "template": template("OnFailure")})),
            vec![
                "spec.template.spec.restartPolicy: Invalid value: \"OnFailure\": only \"Never\" is supported when podFailurePolicy is specified",
            ],
        ),
        (
            job(json!({"managedBy": "kueue"})),
            vec![
                "spec.managedBy: Invalid value: \"kueue\": must be a domain-prefixed path (such as \"acme.io/foo\")",
            ],
        ),
        (
            job(json!({"successPolicy": {"rules": [{"succeededCount": 1}]}})),
            vec![
                "spec.successPolicy: Invalid value: batch.SuccessPolicy{Rules:[]{{SucceededCount:1}}}: requires indexed completion mode",
            ],
        ),
        (
            job(
                json!({"completionMode": "Indexed", "completions": 3, "successPolicy": {"rules": [{"succeededIndexes": "0-5"}]}}),
            ),
            vec![
                "spec.successPolicy.rules[0].succeededIndexes: Invalid value: \"0-5\": error parsing succeededIndexes: too large index: \"5\"",
            ],
        ),
        (
            job(
                json!({"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "Job", "image": "busybox"}]}}}),
            ),
            vec![
                "spec.template.spec.containers[0].name: Invalid value: \"Job\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            ],
        ),
    ];
    for (j, want) in cases {
        assert_eq!(msgs(validate_job(&j)), want, "{j}");
    }
    let mut long = job(json!({"completionMode": "Indexed", "completions": 10, "parallelism": 1}));
    long["metadata"]["name"] = json!("a".repeat(62));
    assert_eq!(
        msgs(validate_job(&long)),
        vec![format!(
            "metadata.name: Invalid value: \"{0}\": will not able to create pod with invalid DNS label: {0}-9",
            "a".repeat(62)
        )]
    );
    let mut wrong_uid = generated("u-1");
    wrong_uid["spec"]["template"]["metadata"]["labels"]["job-name"] = json!("other");
    assert_eq!(
        msgs(validate_job(&wrong_uid)),
        vec![
            "spec.template.metadata.labels[job-name]: Invalid value: map[string]string{\"batch.kubernetes.io/controller-uid\":\"u-1\", \"batch.kubernetes.io/job-name\":\"etl\", \"controller-uid\":\"u-1\", \"job-name\":\"other\"}: must be 'etl'"
        ]
    );
}

#[test]
fn job_updates() {
    let mut old = generated("u-1");
    old["metadata"]["resourceVersion"] = json!("3");
    let mut new = old.clone();
    new["spec"]["parallelism"] = json!(4);
    new["spec"]["activeDeadlineSeconds"] = json!(100);
    assert!(validate_job_update(&new, &old).is_empty());
    let mut image = old.clone();
    image["spec"]["template"]["spec"]["containers"][0]["image"] = json!("alpine");
    let got = msgs(validate_job_update(&image, &old));
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with("spec.template: Invalid value: core.PodTemplateSpec{"));
    assert!(got[0].ends_with(": field is immutable"));
    let mut suspended_old = old.clone();
    suspended_old["spec"]["suspend"] = json!(true);
    let mut scheduling = suspended_old.clone();
    scheduling["spec"]["template"]["spec"]["nodeSelector"] = json!({"zone": "a"});
    assert!(
        validate_job_update(&scheduling, &suspended_old).is_empty(),
        "suspended jobs may change scheduling directives"
    );
    let mut completions = old.clone();
    completions["spec"]["completions"] = json!(5);
    assert_eq!(
        msgs(validate_job_update(&completions, &old)),
        vec!["spec.completions: Invalid value: 5: field is immutable"]
    );
    let mut status = old.clone();
    status["status"] = json!({"active": -1, "uncountedTerminatedPods": {"succeeded": ["a", "a"]}});
    assert_eq!(
        msgs(validate_job_status_update(&status, &old)),
        vec![
            "status.active: Invalid value: -1: must be greater than or equal to 0",
            "status.uncountedTerminatedPods.succeeded[1]: Duplicate value: \"a\"",
        ]
    );
}

fn cron(spec: Value) -> Value {
    let mut s = json!({"schedule": "*/1 * * * *", "jobTemplate": {"spec": {"template": template("OnFailure")}}});
    if let (Some(m), Some(e)) = (s.as_object_mut(), spec.as_object()) {
        m.extend(e.clone());
    }
    json!({"metadata": {"name": "hello", "namespace": "default"}, "spec": s})
}

#[test]
fn cron_jobs() {
    assert!(validate_cron_job(&cron(json!({}))).is_empty());
    assert!(
        validate_cron_job(&cron(
            json!({"schedule": "@daily", "timeZone": "Europe/Paris", "concurrencyPolicy": "Forbid"})
        ))
        .is_empty()
    );
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            cron(json!({"schedule": ""})),
            vec!["spec.schedule: Required value"],
        ),
        (
            cron(json!({"schedule": "* * * *"})),
            vec![
                "spec.schedule: Invalid value: \"* * * *\": expected exactly 5 fields, found 4: [* * * *]",
            ],
        ),
        (
            cron(json!({"schedule": "61 * * * *"})),
            vec![
                "spec.schedule: Invalid value: \"61 * * * *\": end of range (61) above maximum (59): 61",
            ],
        ),
        (
            cron(json!({"schedule": "TZ=UTC 0 0 * * *"})),
            vec![
                "spec.schedule: Invalid value: \"TZ=UTC 0 0 * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
            ],
        ),
        (
            cron(json!({"timeZone": "Mars/Olympus_Mons"})),
            vec![
                "spec.timeZone: Invalid value: \"Mars/Olympus_Mons\": unknown time zone Mars/Olympus_Mons",
            ],
        ),
        (
            cron(json!({"timeZone": "Local"})),
            vec![
                "spec.timeZone: Invalid value: \"Local\": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
            ],
        ),
        (
            cron(json!({"timeZone": ""})),
            vec!["spec.timeZone: Invalid value: \"\": timeZone must be nil or non-empty string"],
        ),
        (
            cron(json!({"timeZone": "../etc/passwd"})),
            vec![
                "spec.timeZone: Invalid value: \"../etc/passwd\": unknown time zone ../etc/passwd",
            ],
        ),
        (
            cron(json!({"concurrencyPolicy": "Sometimes"})),
            vec![
                "spec.concurrencyPolicy: Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\"",
            ],
        ),
        (
            cron(json!({"startingDeadlineSeconds": -1, "successfulJobsHistoryLimit": -1})),
            vec![
                "spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0",
                "spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0",
            ],
        ),
        (
            cron(
                json!({"jobTemplate": {"spec": {"selector": {"matchLabels": {"a": "b"}}, "manualSelector": true, "template": template("Never")}}}),
            ),
            vec![
                "spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"a\":\"b\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated",
                "spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: \"nil\", \"false\"",
            ],
        ),
        (
            cron(json!({"jobTemplate": {"spec": {"template": template("Always")}}})),
            vec![
                "spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"",
            ],
        ),
    ];
    for (c, want) in cases {
        assert_eq!(msgs(validate_cron_job(&c)), want, "{c}");
    }
    let mut long = cron(json!({}));
    long["metadata"]["name"] = json!("x".repeat(53));
    assert_eq!(
        msgs(validate_cron_job(&long)),
        vec![format!(
            "metadata.name: Invalid value: \"{}\": must be no more than 52 characters",
            "x".repeat(53)
        )]
    );
    // Updates keep accepting a TZ= schedule that was already stored, and skip the name length.
    let mut old = cron(json!({"schedule": "TZ=UTC 0 0 * * *"}));
    old["metadata"]["resourceVersion"] = json!("1");
    old["metadata"]["name"] = json!("x".repeat(53));
    assert!(validate_cron_job_update(&old, &old).is_empty());
    let mut both = old.clone();
    both["spec"]["timeZone"] = json!("UTC");
    assert_eq!(
        msgs(validate_cron_job_update(&both, &old)),
        vec![
            "spec.schedule: Invalid value: \"TZ=UTC 0 0 * * *\": cannot use both timeZone field and TZ or CRON_TZ in schedule"
        ]
    );
}
