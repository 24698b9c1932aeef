//! `orch server`: assembles the control plane. For now: the datastore and its compactor.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::store::sqlite::{self, SqliteBackend, SqliteConfig};
use crate::store::{Backend, Compactor, CompactorConfig};

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    pub compactor: CompactorConfig,
}

impl ServerConfig {
    pub fn new(data_dir: PathBuf) -> Self {
        ServerConfig {
            data_dir,
            compactor: CompactorConfig::default(),
        }
    }

    /// `<data-dir>/server/db/state.db`, as k3s lays it out.
    pub fn datastore_path(&self) -> PathBuf {
        self.data_dir.join("server").join("db").join("state.db")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot open the datastore")]
    Datastore(#[from] sqlite::Error),
    #[error("datastore open task failed")]
    Join(#[from] tokio::task::JoinError),
}

pub struct Server {
    config: ServerConfig,
    store: Arc<SqliteBackend>,
    started: Instant,
}

impl Server {
    pub async fn build(config: ServerConfig) -> Result<Self, ServerError> {
        let started = Instant::now();
        let store_config = SqliteConfig::new(config.datastore_path());
        let store =
            tokio::task::spawn_blocking(move || SqliteBackend::open(store_config)).await??;
        Ok(Server {
            config,
            store: Arc::new(store),
            started,
        })
    }

    pub fn store(&self) -> Arc<SqliteBackend> {
        self.store.clone()
    }

    /// Runs until `shutdown` is cancelled, then stops every component in order.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), ServerError> {
        self.run_inner(shutdown)
            .instrument(tracing::info_span!("server"))
            .await
    }

    async fn run_inner(self, shutdown: CancellationToken) -> Result<(), ServerError> {
        let components = CancellationToken::new();
        let compactor = Compactor::new(self.store.clone(), self.config.compactor.clone());
        let compactor = tokio::spawn(compactor.run(components.clone()));

        tracing::info!(
            data_dir = %self.config.data_dir.display(),
            revision = self.store.current_revision(),
            elapsed_ms = self.started.elapsed().as_millis() as u64,
            "orch server ready"
        );
        shutdown.cancelled().await;

        components.cancel();
        let _ = compactor.await;
        self.store.shutdown().await;
        tracing::info!("orch server stopped");
        Ok(())
    }
}
