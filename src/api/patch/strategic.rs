//! Strategic merge patch, applied the way kube-apiserver applies it (`strategicpatch`'s
//! `StrategicMergeMapPatch`: parallel lists merged, unmatched nulls ignored).
//!
//! - Objects merge key by key; `null` deletes a key.
//! - Lists are replaced, unless the field is tagged `patchStrategy: merge` ([`super::schema`]):
//!   lists of objects then merge item by item on the merge key, lists of scalars become sets.
//! - `$patch: replace | delete` on an object replaces or empties it; in a merged list,
//!   `{"$patch": "delete", <key>: v}` removes the items with that key and `{"$patch": "replace"}`
//!   makes the rest of the patch list the whole list.
//! - `$retainKeys: [...]` clears the object's keys not listed.
//! - `$setElementOrder/<list>: [...]` gives the final order of a merged list;
//!   `$deleteFromPrimitiveList/<list>: [...]` removes scalars from a merged list of scalars.
//! - Order of a merged list: items named by the patch (or by `$setElementOrder`) in that order,
//!   interleaved with the stored items the patch does not name, which keep their stored order;
//!   an item new to the list is placed as soon as its turn comes in the patch order, ahead of
//!   any stored item not placed yet.
//!
//! One deliberate difference: upstream leaves directive keys (`$setElementOrder/…`,
//! `$retainKeys`, `$patch`, `$deleteFromPrimitiveList/…`) inside values it copies from the
//! patch without merging (new subtrees, replaced lists, appended list items), where decoding into
//! the typed object drops them as unknown fields. We drop them from those values here, so a
//! result never carries a directive, whatever the caller does next.

use serde_json::{Map, Value};

use super::PatchError;
use super::gofmt::{self, json_kind, type_name};
use super::schema::{self, FieldMeta, Schema};

const DIRECTIVE: &str = "$patch";
const DELETE: &str = "delete";
const REPLACE: &str = "replace";
const MERGE: &str = "merge";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER: &str = "$setElementOrder";

const GO_MAP: &str = "map[string]interface {}";
const GO_LIST: &str = "[]interface {}";

/// Applies `patch` to `doc`, an object whose type is `schema`.
pub(crate) fn apply(doc: &Value, patch: &Value, schema: Schema) -> Result<Value, PatchError> {
    let Value::Object(doc) = doc else {
        return Err(PatchError::InvalidDocument);
    };
    let patch = match patch {
        Value::Object(patch) => patch.clone(),
        // `null` decodes to an empty map: nothing to do.
        Value::Null => Map::new(),
        other => {
            return Err(PatchError::StrategicPatchNotObject {
                found: json_kind(other),
            });
        }
    };
    merge_map(doc.clone(), patch, schema).map(Value::Object)
}

/// The kind of a JSON value as Go sees it after decoding (integers and floats differ).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Int,
    Float,
    String,
    List,
    Object,
}

fn kind_of(v: &Value) -> Kind {
    match v {
        Value::Null => Kind::Null,
        Value::Bool(_) => Kind::Bool,
        Value::Number(n) if n.is_f64() => Kind::Float,
        Value::Number(_) => Kind::Int,
        Value::String(_) => Kind::String,
        Value::Array(_) => Kind::List,
        Value::Object(_) => Kind::Object,
    }
}

fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    schema: Schema,
) -> Result<Map<String, Value>, PatchError> {
    if let Some(directive) = patch.get(DIRECTIVE) {
        return match directive.as_str() {
            Some(REPLACE) => {
                patch.remove(DIRECTIVE);
                Ok(strip_directive_keys(patch))
            }
            Some(DELETE) => Ok(Map::new()),
            _ => Err(unknown_directive(directive, &patch)),
        };
    }

    apply_retain_keys(&mut original, &mut patch)?;
    apply_set_element_order(&mut original, &mut patch, schema)?;

    for (key, patch_value) in patch {
        let (key, delete_list) = if key.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
            let field = directive_field(&key, DELETE_FROM_PRIMITIVE_LIST)
                .ok_or(PatchError::BadPrimitiveListDirective)?;
            (field.to_owned(), true)
        } else {
            (key, false)
        };

        if patch_value.is_null() {
            original.remove(&key);
            continue;
        }
        let Some(current) = original.get_mut(&key) else {
            if !delete_list && let Some(v) = new_value(patch_value) {
                original.insert(key, v);
            }
            continue;
        };
        if kind_of(current) != kind_of(&patch_value) {
            if !delete_list {
                match new_value(patch_value) {
                    Some(v) => *current = v,
                    None => {
                        original.remove(&key);
                    }
                }
            }
            continue;
        }
        match (current, patch_value) {
            (Value::Object(current), Value::Object(patch_map)) => {
                let meta = schema::lookup(schema, &key);
                *current = if meta.tag.replaces() {
                    strip_directive_keys(patch_map)
                } else {
                    merge_map(std::mem::take(current), patch_map, meta.sub)?
                };
            }
            (Value::Array(current), Value::Array(patch_list)) => {
                let meta = schema::lookup(schema, &key);
                *current =
                    merge_list_field(std::mem::take(current), patch_list, meta, delete_list)?;
            }
            (current, scalar) => *current = scalar,
        }
    }
    Ok(original)
}

fn unknown_directive(directive: &Value, map: &Map<String, Value>) -> PatchError {
    PatchError::UnknownDirective {
        directive: gofmt::value(directive),
        map: gofmt::value(&Value::Object(map.clone())),
    }
}

/// The field a `prefix/field` directive key names; `None` when the key is not of that form.
fn directive_field<'a>(key: &'a str, prefix: &str) -> Option<&'a str> {
    match key.split_once('/') {
        Some((p, field)) if p == prefix => Some(field),
        _ => None,
    }
}

/// `$retainKeys`: checks that the patch sets only listed keys, then clears unlisted keys.
fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), PatchError> {
    let Some(retain) = patch.remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(retain) = retain else {
        return Err(PatchError::BadRetainKeysDirective);
    };
    let listed = |k: &str| retain.iter().any(|r| r.as_str() == Some(k));
    let unlisted_patch_key = patch.iter().any(|(k, v)| {
        !v.is_null()
            && !k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            && !k.starts_with(SET_ELEMENT_ORDER)
            && !listed(k)
    });
    if unlisted_patch_key {
        return Err(PatchError::BadRetainKeysDirective);
    }
    original.retain(|k, _| listed(k));
    Ok(())
}

fn list_value(v: Option<&Value>) -> Result<Option<&Vec<Value>>, PatchError> {
    match v {
        None => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(other) => Err(PatchError::WrongType {
            expected: GO_LIST,
            actual: type_name(other),
        }),
    }
}

/// `$setElementOrder/<list>`: merges the list (if the patch has it) and puts the result in the
/// given order, removing both the directive and the list from the patch.
fn apply_set_element_order(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    schema: Schema,
) -> Result<(), PatchError> {
    let directives: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for directive in directives {
        let order = patch
            .remove(&directive)
            .expect("the key was read from this map");
        let Value::Array(order) = order else {
            return Err(PatchError::WrongType {
                expected: GO_LIST,
                actual: type_name(&order),
            });
        };
        let field = directive_field(&directive, SET_ELEMENT_ORDER)
            .ok_or(PatchError::BadSetElementOrderDirective)?
            .to_owned();
        let stored = list_value(original.get(&field))?.cloned();
        let patched = list_value(patch.get(&field))?.cloned();
        let meta = schema::lookup(schema, &field);
        let key = meta.merge_key;
        check_order_matches_patch(patched.as_deref().unwrap_or_default(), &order, key)?;

        let merged = match (&stored, &patched) {
            (Some(stored), None) => stored.clone(),
            (None, Some(patched)) => strip_list(remove_directives_in_list(patched.clone())),
            (Some(stored), Some(patched)) => {
                merge_list_field(stored.clone(), patched.clone(), meta, false)?
            }
            (None, None) => continue,
        };
        let (named, server_only) = if key.is_empty() {
            partition_scalars(merged, &order)
        } else {
            partition_objects(merged, &order, key)?
        };
        let server_order = match (stored, &patched) {
            (Some(stored), Some(patched)) if meta.tag.merges() && !key.is_empty() => {
                stored_view_after_merge(&stored, patched, key)
            }
            (stored, _) => stored.unwrap_or_default(),
        };
        let kind = element_kind(&[&server_order, patched.as_deref().unwrap_or_default()])?;
        let ordered = normalize_order(named, server_only, &order, &server_order, key, kind)?;
        original.insert(field.clone(), Value::Array(ordered));
        patch.remove(&field);
    }
    Ok(())
}

/// The stored list as upstream sees it when it orders a list after merging it with a patch.
///
/// Upstream keeps the stored list's Go slice and merges into the same backing array: deleting
/// an item shifts the later ones down in place (the last slot keeps its old item), and appending
/// a new item writes into the slot after the current end while the array has room. Its order
/// check then reads the stored list's original length of that array. Items deleted and added
/// in one patch thus move in the "stored order" that places items the patch leaves alone;
/// upstream's own tests pin the outcome, so it is reproduced here.
fn stored_view_after_merge(stored: &[Value], patch: &[Value], key: &str) -> Vec<Value> {
    let mut window = stored.to_vec();
    let mut current = stored.to_vec();
    let mut replaced = false;
    for item in patch {
        match item.get(DIRECTIVE).and_then(Value::as_str) {
            Some(DELETE) => {
                let Some(value) = item.get(key) else { continue };
                while let Some(k) = current.iter().position(|c| c.get(key) == Some(value)) {
                    current.remove(k);
                    // In place: slots k.. take the next item; the old last slot is left as is.
                    for i in k..current.len() {
                        window[i] = window[i + 1].clone();
                    }
                }
            }
            Some(REPLACE) => replaced = true,
            _ => {}
        }
    }
    if replaced {
        // The rest of the patch builds a new list; the deletions above still happened in place.
        return window;
    }
    for item in patch.iter().filter(|i| i.get(DIRECTIVE).is_none()) {
        let Some(value) = item.get(key) else { continue };
        if current.iter().any(|c| c.get(key) == Some(value)) {
            continue;
        }
        if let Some(slot) = window.get_mut(current.len()) {
            *slot = item.clone();
        }
        current.push(item.clone());
    }
    window
}

/// Upstream's check that the patch list names its items in the `$setElementOrder` order and
/// names no item the order leaves out.
fn check_order_matches_patch(
    patch_list: &[Value],
    order: &[Value],
    key: &'static str,
) -> Result<(), PatchError> {
    if order.is_empty() || patch_list.is_empty() {
        return Ok(());
    }
    let kept: Vec<&Value> = if key.is_empty() {
        patch_list.iter().collect()
    } else {
        let mut kept = Vec::new();
        for item in patch_list {
            let Value::Object(map) = item else {
                return Err(PatchError::WrongType {
                    expected: GO_MAP,
                    actual: type_name(item),
                });
            };
            if map.get(DIRECTIVE).and_then(Value::as_str) != Some(DELETE) {
                kept.push(item);
            }
        }
        kept
    };
    let (mut p, mut o) = (0, 0);
    while p < kept.len() && o < order.len() {
        if kept[p].get(DIRECTIVE).is_some() {
            p += 1;
            continue;
        }
        if same_merge_key(kept[p], &order[o], key)? {
            p += 1;
        }
        o += 1;
    }
    if p < kept.len() && o >= order.len() {
        return Err(PatchError::SetElementOrderMismatch {
            patch: gofmt::list(patch_list),
            order: gofmt::list(order),
        });
    }
    Ok(())
}

fn same_merge_key(left: &Value, right: &Value, key: &'static str) -> Result<bool, PatchError> {
    if key.is_empty() {
        return Ok(left == right);
    }
    Ok(merge_key_of(left, key)? == merge_key_of(right, key)?)
}

/// The merge key value of a list item, which must be an object that has it.
fn merge_key_of<'a>(item: &'a Value, key: &'static str) -> Result<&'a Value, PatchError> {
    let Value::Object(map) = item else {
        return Err(PatchError::WrongType {
            expected: GO_MAP,
            actual: type_name(item),
        });
    };
    map.get(key).ok_or_else(|| PatchError::MissingMergeKey {
        map: gofmt::value(item),
        key,
    })
}

/// A list field present on both sides: merged when tagged (or for a delete list), else replaced.
fn merge_list_field(
    stored: Vec<Value>,
    patch: Vec<Value>,
    meta: FieldMeta,
    delete_list: bool,
) -> Result<Vec<Value>, PatchError> {
    if meta.tag.merges() || delete_list {
        merge_list(stored, patch, meta, delete_list)
    } else {
        Ok(strip_list(patch))
    }
}

fn merge_list(
    stored: Vec<Value>,
    patch: Vec<Value>,
    meta: FieldMeta,
    delete_list: bool,
) -> Result<Vec<Value>, PatchError> {
    if stored.is_empty() && patch.is_empty() {
        return Ok(stored);
    }
    let kind = element_kind(&[&stored, &patch])?;
    let key = meta.merge_key;

    let (stored, patch, merged) = if kind != Kind::Object {
        if delete_list {
            return Ok(stored.into_iter().filter(|v| !patch.contains(v)).collect());
        }
        let mut merged: Vec<Value> = Vec::with_capacity(stored.len() + patch.len());
        for v in stored.iter().chain(&patch) {
            if !merged.contains(v) {
                merged.push(v.clone());
            }
        }
        (stored, patch, merged)
    } else {
        if key.is_empty() {
            return Err(PatchError::NoMergeKeyForList);
        }
        let (stored, patch) = apply_list_directives(stored, patch, key)?;
        let merged = merge_items(stored.clone(), &patch, key, meta.sub)?;
        (stored, patch, merged)
    };

    let (named, server_only) = if key.is_empty() {
        partition_scalars(merged, &patch)
    } else {
        partition_objects(merged, &patch, key)?
    };
    normalize_order(named, server_only, &patch, &stored, key, kind)
}

/// Handles the `$patch` items of a patch list of objects: deletions by key, `replace` (the
/// other patch items become the list). Returns the stored list and the patch items left to merge.
fn apply_list_directives(
    mut stored: Vec<Value>,
    patch: Vec<Value>,
    key: &'static str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut plain = Vec::with_capacity(patch.len());
    let mut replace = false;
    for item in patch {
        let Some(directive) = item.get(DIRECTIVE) else {
            plain.push(item);
            continue;
        };
        match directive.as_str() {
            Some(DELETE) => {
                let Some(value) = item.get(key) else {
                    return Err(PatchError::MissingMergeKey {
                        map: gofmt::value(&item),
                        key,
                    });
                };
                for (index, s) in stored.iter().enumerate() {
                    if !s.is_object() {
                        return Err(PatchError::ListItemNotObject { index });
                    }
                }
                stored.retain(|s| s.get(key) != Some(value));
            }
            Some(REPLACE) => replace = true,
            Some(MERGE) => return Err(PatchError::MergeDirectiveInList),
            _ => {
                let map = item.as_object().cloned().unwrap_or_default();
                return Err(unknown_directive(directive, &map));
            }
        }
    }
    if replace {
        Ok((strip_list(plain), Vec::new()))
    } else {
        Ok((stored, plain))
    }
}

/// Merges each patch item into the stored item with the same key, or appends it.
fn merge_items(
    mut stored: Vec<Value>,
    patch: &[Value],
    key: &'static str,
    schema: Schema,
) -> Result<Vec<Value>, PatchError> {
    for item in patch {
        let value = merge_key_of(item, key)?;
        let index = find_by_key(&stored, key, value)?;
        match (index.and_then(|i| stored.get_mut(i)), item) {
            (Some(Value::Object(current)), Value::Object(item_map)) => {
                *current = merge_map(std::mem::take(current), item_map.clone(), schema)?;
            }
            // `merge_key_of` and `find_by_key` accept objects only: this is an append.
            _ => stored.push(strip_value(item.clone())),
        }
    }
    Ok(stored)
}

/// The index of the first item whose merge key is `value`; every item must be an object.
fn find_by_key(items: &[Value], key: &str, value: &Value) -> Result<Option<usize>, PatchError> {
    for (index, item) in items.iter().enumerate() {
        let Value::Object(map) = item else {
            return Err(PatchError::ListItemNotObject { index });
        };
        if map.get(key) == Some(value) {
            return Ok(Some(index));
        }
    }
    Ok(None)
}

/// Splits scalars into those present in `by` and the rest, keeping their order.
fn partition_scalars(items: Vec<Value>, by: &[Value]) -> (Vec<Value>, Vec<Value>) {
    items.into_iter().partition(|v| by.contains(v))
}

/// Splits objects into those whose merge key appears in `by` and the rest, keeping their order.
fn partition_objects(
    items: Vec<Value>,
    by: &[Value],
    key: &'static str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut named = Vec::new();
    let mut rest = Vec::new();
    for item in items {
        let value = merge_key_of(&item, key)?;
        if find_by_key(by, key, value)?.is_some() {
            named.push(item);
        } else {
            rest.push(item);
        }
    }
    Ok((named, rest))
}

/// The one kind shared by the items of `lists`: lists of lists and mixed kinds are errors, as
/// is having no items at all.
fn element_kind(lists: &[&[Value]]) -> Result<Kind, PatchError> {
    let mut kind = None;
    for item in lists.iter().flat_map(|l| l.iter()) {
        let k = kind_of(item);
        match kind {
            None if k == Kind::List => return Err(PatchError::ListOfLists),
            None => kind = Some(k),
            Some(prev) if prev != k => {
                let printed: Vec<Value> = lists.iter().map(|l| Value::Array(l.to_vec())).collect();
                return Err(PatchError::MixedListTypes {
                    lists: gofmt::list(&printed),
                });
            }
            Some(_) => {}
        }
    }
    kind.ok_or(PatchError::NoListElements)
}

/// Orders a merged list: `named` (items the patch names) in `patch_order`, `server_only` in
/// `server_order`, then the two interleaved following `server_order`.
fn normalize_order(
    named: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: &'static str,
    kind: Kind,
) -> Result<Vec<Value>, PatchError> {
    let named = sort_by_order(named, patch_order, key, kind)?;
    let server_only = sort_by_order(server_only, server_order, key, kind)?;
    Ok(interleave(server_only, named, server_order, key, kind))
}

/// Where `item` appears in `list`: by merge key for objects (an absent key matching an absent
/// key, as upstream compares), by value otherwise.
fn position(list: &[Value], item: &Value, key: &str, kind: Kind) -> Option<usize> {
    if kind == Kind::Object {
        let wanted = object_key(item, key);
        list.iter().position(|v| object_key(v, key) == wanted)
    } else {
        list.iter().position(|v| v == item)
    }
}

fn object_key<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_object()
        .and_then(|m| m.get(key))
        .filter(|v| !v.is_null())
}

fn sort_by_order(
    items: Vec<Value>,
    order: &[Value],
    key: &'static str,
    kind: Kind,
) -> Result<Vec<Value>, PatchError> {
    let (mut items, deletions) = if kind == Kind::Object {
        for v in items.iter().chain(order) {
            merge_key_of(v, key)?;
        }
        items
            .into_iter()
            .partition(|v| v.get(DIRECTIVE).and_then(Value::as_str) != Some(DELETE))
    } else {
        (items, Vec::new())
    };
    // Stable: items `order` does not mention (which upstream never produces here) keep their
    // relative order, after the others.
    items.sort_by_cached_key(|v| position(order, v, key, kind).unwrap_or(usize::MAX));
    items.extend(deletions);
    Ok(items)
}

/// Merges two ordered lists into one, taking from `server_only` while its next item comes
/// before `named`'s next item in `server_order`; an item `server_order` lacks is taken first.
fn interleave(
    server_only: Vec<Value>,
    named: Vec<Value>,
    server_order: &[Value],
    key: &str,
    kind: Kind,
) -> Vec<Value> {
    let mut out = Vec::with_capacity(server_only.len() + named.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = named.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => match (
                position(server_order, l, key, kind),
                position(server_order, r, key, kind),
            ) {
                (Some(li), Some(ri)) => li < ri,
                _ => false,
            },
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    out
}

/// A patch value for a key the stored object lacks (or holds with another type): nulls inside
/// are dropped, objects carrying `$patch` vanish, and `None` if the value itself carries one.
fn new_value(mut v: Value) -> Option<Value> {
    discard_nulls(&mut v);
    remove_directives(v).map(strip_value)
}

fn discard_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(discard_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(discard_nulls),
        _ => {}
    }
}

/// Upstream's `removeDirectives`: an object with a `$patch` key is dropped (with the key or
/// list item holding it).
fn remove_directives(v: Value) -> Option<Value> {
    match v {
        Value::Object(map) => {
            if map.contains_key(DIRECTIVE) {
                return None;
            }
            Some(Value::Object(
                map.into_iter()
                    .filter_map(|(k, v)| remove_directives(v).map(|v| (k, v)))
                    .collect(),
            ))
        }
        Value::Array(items) => Some(Value::Array(remove_directives_in_list(items))),
        other => Some(other),
    }
}

fn remove_directives_in_list(items: Vec<Value>) -> Vec<Value> {
    items.into_iter().filter_map(remove_directives).collect()
}

fn is_directive_key(k: &str) -> bool {
    k == DIRECTIVE
        || k == RETAIN_KEYS
        || k.starts_with(SET_ELEMENT_ORDER)
        || k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
}

/// Drops directive keys at every level of a value copied from the patch.
fn strip_value(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(strip_directive_keys(map)),
        Value::Array(items) => Value::Array(strip_list(items)),
        other => other,
    }
}

fn strip_directive_keys(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter()
        .filter(|(k, _)| !is_directive_key(k))
        .map(|(k, v)| (k, strip_value(v)))
        .collect()
}

fn strip_list(items: Vec<Value>) -> Vec<Value> {
    items.into_iter().map(strip_value).collect()
}

#[cfg(test)]
mod tests;
