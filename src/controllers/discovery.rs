//! What resources the API serves, as controllers see it (aggregated discovery), cached briefly.

use std::time::{Duration, Instant};

use kube::Client;
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope};
use tokio::sync::Mutex;

/// How long a discovery result is reused.
const TTL: Duration = Duration::from_secs(30);

#[derive(Clone, Debug)]
pub struct Served {
    pub resource: ApiResource,
    pub namespaced: bool,
    pub verbs: Vec<String>,
}

impl Served {
    pub fn supports(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }
}

pub struct Resources {
    client: Client,
    cache: Mutex<Option<(Instant, Vec<Served>)>>,
}

impl Resources {
    pub fn new(client: Client) -> Self {
        Resources {
            client,
            cache: Mutex::new(None),
        }
    }

    /// The preferred version of every served resource.
    pub async fn all(&self) -> Result<Vec<Served>, kube::Error> {
        if let Some((at, list)) = self.cache.lock().await.as_ref() {
            if at.elapsed() < TTL {
                return Ok(list.clone());
            }
        }
        self.fresh().await
    }

    /// Like [`Resources::all`], but asks the API server now: for work that must not miss a
    /// resource added moments ago (emptying a namespace right after a CRD was created).
    pub async fn fresh(&self) -> Result<Vec<Served>, kube::Error> {
        let discovery = Discovery::new(self.client.clone()).run_aggregated().await?;
        let mut list = Vec::new();
        for group in discovery.groups() {
            for (ar, caps) in group.recommended_resources() {
                list.push(served(ar, caps));
            }
        }
        *self.cache.lock().await = Some((Instant::now(), list.clone()));
        Ok(list)
    }

    /// The resource of an ownerReference's apiVersion and kind.
    pub async fn by_kind(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<Option<Served>, kube::Error> {
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        let all = self.all().await?;
        if let Some(s) = all.iter().find(|s| {
            s.resource.group == group && s.resource.version == version && s.resource.kind == kind
        }) {
            return Ok(Some(s.clone()));
        }
        // Another served version of the same kind reads the same object.
        Ok(all
            .into_iter()
            .find(|s| s.resource.group == group && s.resource.kind == kind))
    }
}

fn served(ar: ApiResource, caps: ApiCapabilities) -> Served {
    Served {
        namespaced: caps.scope == Scope::Namespaced,
        verbs: caps.operations.clone(),
        resource: ar,
    }
}
