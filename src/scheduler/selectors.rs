//! Matching helpers: node selector terms, label selectors and tolerations, with upstream's
//! semantics.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NodeSelectorRequirement, NodeSelectorTerm, Taint, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// One `NodeSelectorRequirement` against the node's labels (upstream's
/// `nodeaffinity.nodeSelectorRequirementsAsSelector`): In, NotIn, Exists, DoesNotExist, Gt, Lt.
/// An unknown operator or a malformed Gt/Lt value matches nothing.
fn requirement_matches(r: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = r.values.as_deref().unwrap_or_default();
    match r.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let [bound] = values else {
                return false;
            };
            let (Ok(bound), Some(Ok(v))) = (bound.parse::<i64>(), value.map(str::parse::<i64>))
            else {
                return false;
            };
            if r.operator == "Gt" {
                v > bound
            } else {
                v < bound
            }
        }
        _ => false,
    }
}

/// A node selector term: every expression on labels and every field (only `metadata.name`)
/// must match; a term with neither matches nothing.
pub fn term_matches(
    term: &NodeSelectorTerm,
    labels: &BTreeMap<String, String>,
    name: &str,
) -> bool {
    let exprs = term.match_expressions.as_deref().unwrap_or_default();
    let fields = term.match_fields.as_deref().unwrap_or_default();
    if exprs.is_empty() && fields.is_empty() {
        return false;
    }
    exprs
        .iter()
        .all(|r| requirement_matches(r, labels.get(&r.key).map(String::as_str)))
        && fields.iter().all(|r| {
            r.key == "metadata.name"
                && matches!(r.operator.as_str(), "In" | "NotIn")
                && requirement_matches(r, Some(name))
        })
}

/// Node selector terms are OR'ed; an empty list matches nothing.
pub fn terms_match(
    terms: &[NodeSelectorTerm],
    labels: &BTreeMap<String, String>,
    name: &str,
) -> bool {
    terms.iter().any(|t| term_matches(t, labels, name))
}

/// A `metav1.LabelSelector`: `None` matches nothing (as upstream's conversion of a nil
/// selector in affinity terms and spread constraints); an empty selector matches everything.
pub fn label_selector_matches(
    sel: Option<&LabelSelector>,
    labels: &BTreeMap<String, String>,
) -> bool {
    let Some(sel) = sel else {
        return false;
    };
    for (k, v) in sel.match_labels.iter().flatten() {
        if labels.get(k) != Some(v) {
            return false;
        }
    }
    for e in sel.match_expressions.iter().flatten() {
        let value = labels.get(&e.key);
        let values = e.values.as_deref().unwrap_or_default();
        let ok = match e.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// Upstream's `Toleration.ToleratesTaint`.
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    if let Some(effect) = t.effect.as_deref().filter(|e| !e.is_empty())
        && effect != taint.effect
    {
        return false;
    }
    if let Some(key) = t.key.as_deref().filter(|k| !k.is_empty())
        && key != taint.key
    {
        return false;
    }
    match t.operator.as_deref().unwrap_or("Equal") {
        "Exists" => true,
        "Equal" | "" => {
            t.value.as_deref().unwrap_or_default() == taint.value.as_deref().unwrap_or_default()
        }
        _ => false,
    }
}

/// Whether any toleration tolerates the taint.
pub fn tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| tolerates(t, taint))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn labels(v: Value) -> BTreeMap<String, String> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn node_selector_terms() {
        let l = labels(json!({"zone": "a", "cpus": "8", "gpu": "yes"}));
        let cases: Vec<(&str, Value, bool)> = vec![
            (
                "In",
                json!({"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}),
                true,
            ),
            (
                "In miss",
                json!({"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]}),
                false,
            ),
            (
                "NotIn",
                json!({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["b"]}]}),
                true,
            ),
            (
                "NotIn absent key",
                json!({"matchExpressions": [{"key": "x", "operator": "NotIn", "values": ["b"]}]}),
                true,
            ),
            (
                "Exists",
                json!({"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}),
                true,
            ),
            (
                "DoesNotExist",
                json!({"matchExpressions": [{"key": "gpu", "operator": "DoesNotExist"}]}),
                false,
            ),
            (
                "Gt",
                json!({"matchExpressions": [{"key": "cpus", "operator": "Gt", "values": ["4"]}]}),
                true,
            ),
            (
                "Gt equal",
                json!({"matchExpressions": [{"key": "cpus", "operator": "Gt", "values": ["8"]}]}),
                false,
            ),
            (
                "Lt",
                json!({"matchExpressions": [{"key": "cpus", "operator": "Lt", "values": ["16"]}]}),
                true,
            ),
            (
                "Lt not a number",
                json!({"matchExpressions": [{"key": "zone", "operator": "Lt", "values": ["16"]}]}),
                false,
            ),
            (
                "Gt absent",
                json!({"matchExpressions": [{"key": "x", "operator": "Gt", "values": ["1"]}]}),
                false,
            ),
            (
                "AND",
                json!({"matchExpressions": [
                {"key": "zone", "operator": "In", "values": ["a"]},
                {"key": "gpu", "operator": "DoesNotExist"}]}),
                false,
            ),
            ("empty term", json!({}), false),
            (
                "matchFields name",
                json!({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}),
                true,
            ),
            (
                "matchFields other name",
                json!({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}),
                false,
            ),
            (
                "matchFields NotIn",
                json!({"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["n2"]}]}),
                true,
            ),
            (
                "matchFields unknown field",
                json!({"matchFields": [{"key": "spec.x", "operator": "In", "values": ["n1"]}]}),
                false,
            ),
        ];
        for (name, term, want) in cases {
            let term: NodeSelectorTerm = serde_json::from_value(term).unwrap();
            assert_eq!(term_matches(&term, &l, "n1"), want, "{name}");
        }
        let terms: Vec<NodeSelectorTerm> = serde_json::from_value(json!([
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]},
            {"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}]))
        .unwrap();
        assert!(terms_match(&terms, &l, "n1"), "terms are OR'ed");
        assert!(!terms_match(&[], &l, "n1"), "no terms match nothing");
    }

    #[test]
    fn label_selectors() {
        let l = labels(json!({"app": "web", "tier": "front"}));
        let cases: Vec<(Option<Value>, bool)> = vec![
            (None, false),
            (Some(json!({})), true),
            (Some(json!({"matchLabels": {"app": "web"}})), true),
            (Some(json!({"matchLabels": {"app": "db"}})), false),
            (
                Some(
                    json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]}),
                ),
                true,
            ),
            (
                Some(
                    json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}),
                ),
                false,
            ),
            (
                Some(json!({"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]})),
                true,
            ),
            (
                Some(json!({"matchExpressions": [{"key": "x", "operator": "Exists"}]})),
                false,
            ),
        ];
        for (sel, want) in cases {
            let parsed: Option<LabelSelector> =
                sel.clone().map(|s| serde_json::from_value(s).unwrap());
            assert_eq!(label_selector_matches(parsed.as_ref(), &l), want, "{sel:?}");
        }
    }

    #[test]
    fn tolerations() {
        let taint: Taint =
            serde_json::from_value(json!({"key": "k", "value": "v", "effect": "NoSchedule"}))
                .unwrap();
        let cases: Vec<(Value, bool)> = vec![
            (
                json!({"key": "k", "value": "v", "effect": "NoSchedule"}),
                true,
            ),
            (json!({"key": "k", "operator": "Equal", "value": "v"}), true),
            (json!({"key": "k", "value": "w"}), false),
            (json!({"key": "k", "operator": "Exists"}), true),
            (json!({"operator": "Exists"}), true),
            (json!({"operator": "Exists", "effect": "NoExecute"}), false),
            (json!({"key": "other", "operator": "Exists"}), false),
            (json!({"key": "k", "operator": "Bogus"}), false),
        ];
        for (t, want) in cases {
            let tol: Toleration = serde_json::from_value(t.clone()).unwrap();
            assert_eq!(tolerates(&tol, &taint), want, "{t}");
        }
    }
}
