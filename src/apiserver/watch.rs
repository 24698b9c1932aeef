//! Watches: newline-delimited JSON events from the store's watch, filtered by selectors, with
//! synthetic ADDED events for the current state when no resourceVersion is given, bookmarks, and
//! upstream's 410 Expired when the history is gone.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

use super::error::{ApiError, ApiResult};
use super::negotiate::Output;
use super::objects::{Ctx, Filter};
use super::storage::{Storage, parse_resource_version};
use super::table;
use crate::api::meta;
use crate::store::{Event, EventKind, Revision, StoreError};

/// How often an idle watch with bookmarks enabled gets one.
const BOOKMARK_INTERVAL: Duration = Duration::from_secs(60);

pub async fn serve(ctx: Arc<Ctx>) -> ApiResult<Response> {
    let mut filter = Filter::from_params(&ctx.res, &ctx.params)?;
    if let Some(name) = &ctx.req.name {
        // GET …/pods/<name>?watch=true watches one object.
        filter
            .fields
            .requirements
            .push(crate::api::selector::FieldRequirement {
                field: "metadata.name".into(),
                negate: false,
                value: name.clone(),
            });
    }
    let rv = ctx.params.non_empty("resourceVersion").map(str::to_owned);
    let send_initial = ctx.params.get("sendInitialEvents").map(|v| v == "true");
    let bookmarks = ctx.params.flag("allowWatchBookmarks");
    let timeout = match ctx.params.int("timeoutSeconds")? {
        Some(t) if t > 0 => Duration::from_secs(t as u64),
        // Upstream spreads long watches over 30–60 minutes so clients reconnect at different times.
        _ => Duration::from_secs(1800 + fastrand::u64(..1800)),
    };
    let initial_events = match (&send_initial, rv.as_deref()) {
        (Some(explicit), _) => *explicit,
        (None, None | Some("0")) => true,
        (None, Some(_)) => false,
    };

    let backend = ctx.storage().backend().clone();
    let prefix = ctx.res.key_prefix(ctx.ns());
    let mut initial = Vec::new();
    let start: Revision;
    if initial_events {
        let mut cont: Option<String> = None;
        let mut revision = None;
        loop {
            let page = ctx
                .storage()
                .list(&ctx.res, ctx.ns(), 1000, cont.as_deref(), revision)
                .await?;
            revision = Some(page.revision);
            initial.extend(
                page.items
                    .into_iter()
                    .filter(|o| filter.matches(&ctx.res, o)),
            );
            match page.continue_token {
                Some(t) => cont = Some(t),
                None => break,
            }
        }
        start = revision.unwrap_or_else(|| backend.current_revision());
    } else {
        start = parse_resource_version(rv.as_deref().unwrap_or("0"))?;
    }

    let events = match backend.watch(&prefix, start).await {
        Ok(s) => Some(s),
        Err(StoreError::Compacted {
            requested,
            compacted,
        }) => {
            let status = ApiError::expired(format!(
                "too old resource version: {requested} ({compacted})"
            ))
            .status();
            let line = event_line("ERROR", &status);
            return Ok(stream_response(
                futures::stream::once(async move { Ok::<_, std::io::Error>(line) }).boxed(),
            ));
        }
        Err(e) => return Err(ApiError::from_store(e, &ctx.res, "")),
    };

    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(64);
    let shutdown = ctx.state.shutdown.clone();
    tokio::spawn(async move {
        let mut encoder = Encoder {
            ctx: &ctx,
            first: true,
        };
        let mut last = start;
        for obj in initial {
            let obj = ctx.served(obj);
            if tx.send(encoder.event("ADDED", &obj)).await.is_err() {
                return;
            }
        }
        if send_initial == Some(true) && bookmarks {
            let mut b = bookmark(&ctx, last);
            b["metadata"]["annotations"] = json!({"k8s.io/initial-events-end": "true"});
            if tx.send(event_line("BOOKMARK", &b)).await.is_err() {
                return;
            }
        }
        let Some(mut events) = events else { return };
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut ticker = tokio::time::interval_at(
            tokio::time::Instant::now() + BOOKMARK_INTERVAL,
            BOOKMARK_INTERVAL,
        );
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = shutdown.cancelled() => return,
                _ = tx.closed() => return,
                _ = ticker.tick(), if bookmarks => {
                    if tx.send(event_line("BOOKMARK", &bookmark(&ctx, last))).await.is_err() {
                        return;
                    }
                }
                next = events.next() => match next {
                    Some(Ok(event)) => {
                        last = event.revision();
                        let Some((kind, obj, json)) = translate(&ctx, &filter, &event) else { continue };
                        let line = match (ctx.output, json) {
                            (Output::Object, Some(json)) => event_line_raw(kind, &json),
                            _ => encoder.event(kind, &obj),
                        };
                        if tx.send(line).await.is_err() {
                            return;
                        }
                    }
                    Some(Err(StoreError::Compacted { requested, compacted })) => {
                        let status = ApiError::expired(format!("too old resource version: {requested} ({compacted})")).status();
                        let _ = tx.send(event_line("ERROR", &status)).await;
                        return;
                    }
                    // A watcher cut off as too slow, or the store closing: the client re-watches.
                    Some(Err(_)) | None => return,
                }
            }
        }
    });
    let body = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx))
    });
    Ok(stream_response(body.boxed()))
}

fn stream_response(
    body: futures::stream::BoxStream<'static, Result<Bytes, std::io::Error>>,
) -> Response {
    let mut resp = Response::new(Body::from_stream(body));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    resp
}

fn event_line(kind: &str, obj: &Value) -> Bytes {
    let mut line = serde_json::to_vec(&json!({"type": kind, "object": obj}))
        .expect("JSON values always serialise");
    line.push(b'\n');
    Bytes::from(line)
}

/// An event line around an object already serialised.
fn event_line_raw(kind: &str, obj: &[u8]) -> Bytes {
    let mut line = Vec::with_capacity(obj.len() + kind.len() + 24);
    line.extend_from_slice(b"{\"type\":\"");
    line.extend_from_slice(kind.as_bytes());
    line.extend_from_slice(b"\",\"object\":");
    line.extend_from_slice(obj);
    line.extend_from_slice(b"}\n");
    Bytes::from(line)
}

fn bookmark(ctx: &Ctx, revision: Revision) -> Value {
    json!({
        "kind": ctx.res.gvk.kind,
        "apiVersion": ctx.res.gvk.api_version(),
        "metadata": {"resourceVersion": revision.to_string(), "creationTimestamp": null},
    })
}

/// Encodes objects for the representation the client asked for.
struct Encoder<'a> {
    ctx: &'a Ctx,
    first: bool,
}

impl Encoder<'_> {
    fn event(&mut self, kind: &str, obj: &Value) -> Bytes {
        let body = match self.ctx.output {
            Output::Object => obj.clone(),
            Output::Metadata => table::partial_metadata(obj),
            Output::Table => {
                let t = table::table(
                    &self.ctx.res,
                    std::slice::from_ref(obj),
                    meta::resource_version(obj),
                    None,
                    &self.ctx.params,
                    self.first,
                );
                self.first = false;
                t
            }
        };
        event_line(kind, &body)
    }
}

/// A store event decoded once for every watcher that receives it (kept in the event's memo).
struct Decoded {
    /// The object (stored version) with the event's revision.
    obj: Option<Value>,
    /// The previous object: decoded only for a watcher with a selector, which must tell
    /// whether the object was in its selection before.
    prev: std::sync::OnceLock<Option<Value>>,
    /// `obj` as JSON, spliced from the stored bytes.
    obj_json: Option<Bytes>,
}

impl Decoded {
    fn prev(&self, event: &Event) -> Option<&Value> {
        self.prev
            .get_or_init(|| (event.prev_kv.as_ref()).and_then(|kv| Storage::decode(kv).ok()))
            .as_ref()
    }
}

fn decoded(event: &Event) -> &Decoded {
    event
        .memo
        .get_or_init(|| {
            let mut obj = Storage::decode(&event.kv).ok();
            if let Some(o) = obj.as_mut() {
                // A deletion is reported at the revision of the deletion.
                meta::set(o, "resourceVersion", event.revision().to_string());
            }
            Decoded {
                obj,
                prev: std::sync::OnceLock::new(),
                obj_json: Storage::raw_with_revision(&event.kv.value, event.revision())
                    .map(Bytes::from),
            }
        })
        .expect("the memo of watch events only holds Decoded")
}

/// Turns a store event into a watch event for this watcher: an object entering the selection is
/// ADDED, one leaving it is DELETED. Returns the event type and the object (served version), and
/// its JSON when it can be reused as is. The shared decoded object is borrowed, not copied,
/// unless it must be converted to another version: every watcher of a kind sees every event.
fn translate<'e>(
    ctx: &Ctx,
    filter: &Filter,
    event: &'e Event,
) -> Option<(&'static str, Cow<'e, Value>, Option<Bytes>)> {
    let d = decoded(event);
    let identity = crate::api::convert::is_identity(&ctx.res);
    let served = |o: &'e Value| -> Cow<'e, Value> {
        if identity {
            Cow::Borrowed(o)
        } else {
            Cow::Owned(ctx.served(o.clone()))
        }
    };
    let obj = served(d.obj.as_ref()?);
    let json = if identity { d.obj_json.clone() } else { None };
    let everything = filter.is_everything();
    let matches = |o: &Value| everything || filter.matches(&ctx.res, o);
    let kind = match event.kind {
        EventKind::Create => matches(&obj).then_some("ADDED")?,
        EventKind::Update => {
            let now = matches(&obj);
            let before = match everything {
                true => event.prev_kv.is_some(),
                false => d.prev(event).is_some_and(|p| matches(&served(p))),
            };
            match (before, now) {
                (true, true) => "MODIFIED",
                (false, true) => "ADDED",
                (true, false) => "DELETED",
                (false, false) => return None,
            }
        }
        EventKind::Delete => matches(&obj).then_some("DELETED")?,
    };
    Some((kind, obj, json))
}
