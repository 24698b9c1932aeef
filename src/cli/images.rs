//! `orch images`: the node's image store (`<data-dir>/agent/image-store`).

use std::path::PathBuf;

use anyhow::Context;

use crate::runtime::images::airgap::import_file;
use crate::runtime::images::pull::PullEvent;
use crate::runtime::images::registry::{self, Registries, RegistriesConfig};
use crate::runtime::images::{Digest, Images, Reference};

#[derive(clap::Args, Debug)]
pub struct ImagesArgs {
    /// Data directory of the node
    #[arg(
        long,
        short = 'd',
        env = "ORCH_DATA_DIR",
        default_value = "/var/lib/orch",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Registry mirrors, credentials and TLS settings (k3s's registries.yaml format)
    #[arg(
        long,
        env = "ORCH_REGISTRIES_CONFIG",
        default_value = registry::DEFAULT_CONFIG_PATH,
        global = true
    )]
    pub registries_config: PathBuf,
    #[command(subcommand)]
    pub command: ImagesCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum ImagesCommand {
    /// List the images of the node
    #[command(visible_alias = "list")]
    Ls,
    /// Import images from OCI-layout or `docker save` tarballs (plain, gzip or zstd)
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Pull images from their registries (or the mirrors configured for them)
    Pull {
        #[arg(required = true, value_name = "IMAGE")]
        images: Vec<String>,
        /// Credentials for the registry, overriding registries.yaml
        #[arg(long, value_name = "USER[:PASSWORD]")]
        creds: Option<String>,
        /// Only download; layers are then unpacked when a container first needs them
        #[arg(long)]
        no_unpack: bool,
    },
    /// Remove image names (their blobs go at the next prune)
    #[command(visible_alias = "remove")]
    Rm {
        #[arg(required = true, value_name = "IMAGE")]
        images: Vec<String>,
    },
    /// Delete the blobs and unpacked layers no image name needs
    Prune,
}

pub fn run(args: ImagesArgs) -> anyhow::Result<()> {
    let dir = crate::runtime::images::store_dir(&args.data_dir);
    let config = RegistriesConfig::load(&args.registries_config)?;
    let images = Images::open(&dir, Registries::new(config))
        .with_context(|| format!("cannot open the image store {}", dir.display()))?;
    let store = images.store();
    match args.command {
        ImagesCommand::Ls => {
            let rows: Vec<[String; 4]> = store
                .list()?
                .into_iter()
                .map(|(name, record)| {
                    let (image, tag) = match name.parse::<Reference>() {
                        Ok(r) => {
                            let familiar = Reference {
                                tag: None,
                                digest: None,
                                ..r.clone()
                            }
                            .familiar();
                            (familiar, r.tag.unwrap_or_else(|| "<none>".into()))
                        }
                        Err(_) => (name, "<none>".into()),
                    };
                    let id = record
                        .config
                        .strip_prefix("sha256:")
                        .unwrap_or(&record.config)
                        .chars()
                        .take(13)
                        .collect();
                    [image, tag, id, human_size(record.size)]
                })
                .collect();
            print_table(["IMAGE", "TAG", "IMAGE ID", "SIZE"], &rows);
            Ok(())
        }
        ImagesCommand::Import { files } => {
            for file in files {
                let names = import_file(store, &file)
                    .with_context(|| format!("cannot import {}", file.display()))?;
                for name in names {
                    println!("imported {}", name.familiar());
                }
            }
            Ok(())
        }
        ImagesCommand::Rm { images: names } => {
            for image in names {
                let reference: Reference = image.parse()?;
                store.untag(&reference)?;
                println!("deleted {}", reference.familiar());
            }
            Ok(())
        }
        ImagesCommand::Pull {
            images: names,
            creds,
            no_unpack,
        } => {
            let creds = creds.map(|c| {
                let (username, password) = c.split_once(':').unwrap_or((&c, ""));
                registry::Credentials {
                    username: username.to_owned(),
                    password: password.to_owned(),
                    ..Default::default()
                }
            });
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            for name in names {
                let reference: Reference = name.parse()?;
                let display = std::sync::Arc::new(std::sync::Mutex::new(PullDisplay::new(
                    std::io::IsTerminal::is_terminal(&std::io::stderr()),
                )));
                let sink = display.clone();
                let progress = std::sync::Arc::new(move |e: PullEvent| {
                    sink.lock().expect("display lock").event(e)
                });
                let pulled = rt
                    .block_on(images.pull(&reference, creds.as_ref(), progress))
                    .with_context(|| format!("cannot pull {}", reference.familiar()))?;
                display.lock().expect("display lock").finish();
                println!(
                    "pulled {} ({}, {} downloaded)",
                    reference.familiar(),
                    pulled.manifest,
                    human_size(pulled.downloaded)
                );
                if !no_unpack {
                    // As containerd does for the kubelet: the first container starts at once.
                    let record = store
                        .get(&reference)?
                        .with_context(|| format!("{} vanished", reference.familiar()))?;
                    let started = std::time::Instant::now();
                    let mut unpacked = 0;
                    images
                        .layers()
                        .prepare(store, &record, |e| {
                            if let crate::runtime::images::layers::Prepare::Unpacked { .. } = e {
                                unpacked += 1;
                            }
                        })
                        .with_context(|| format!("cannot unpack {}", reference.familiar()))?;
                    if unpacked > 0 {
                        println!(
                            "unpacked {unpacked} layer{} in {:.2}s",
                            if unpacked == 1 { "" } else { "s" },
                            started.elapsed().as_secs_f64()
                        );
                    }
                }
            }
            Ok(())
        }
        ImagesCommand::Prune => {
            let pruned = images.prune(&Default::default())?;
            println!(
                "deleted {} blobs ({}) and {} unpacked layers",
                pruned.blobs.len(),
                human_size(pruned.bytes),
                pruned.layers.len()
            );
            Ok(())
        }
    }
}

/// Pull progress for a person: at a terminal, one line per blob redrawn in place (as
/// `docker pull` shows it); otherwise a line per finished blob.
struct PullDisplay {
    tty: bool,
    rows: Vec<(Digest, String)>,
    drawn: usize,
    last_draw: Option<std::time::Instant>,
}

impl PullDisplay {
    fn new(tty: bool) -> PullDisplay {
        PullDisplay {
            tty,
            rows: Vec::new(),
            drawn: 0,
            last_draw: None,
        }
    }

    fn set(&mut self, blob: &Digest, text: String) {
        match self.rows.iter_mut().find(|(d, _)| d == blob) {
            Some(row) => row.1 = text,
            None => self.rows.push((blob.clone(), text)),
        }
    }

    fn event(&mut self, event: PullEvent) {
        let short = |d: &Digest| d.hex()[..12].to_owned();
        let mut force = true;
        match &event {
            PullEvent::Resolved { manifest, blobs } => {
                if !self.tty {
                    eprintln!("resolved {} ({} blobs)", manifest, blobs.len());
                }
                for (d, size) in blobs {
                    self.set(d, format!("{}: waiting ({})", short(d), human_size(*size)));
                }
            }
            PullEvent::Exists { blob } => {
                self.set(blob, format!("{}: already exists", short(blob)));
            }
            PullEvent::Progress { blob, done, total } => {
                force = false;
                let width = 30;
                let filled = if *total == 0 {
                    width
                } else {
                    ((*done as f64 / *total as f64) * width as f64) as usize
                };
                let bar: String = (0..width)
                    .map(|i| match i.cmp(&filled) {
                        std::cmp::Ordering::Less => '=',
                        std::cmp::Ordering::Equal => '>',
                        std::cmp::Ordering::Greater => ' ',
                    })
                    .collect();
                self.set(
                    blob,
                    format!(
                        "{}: downloading [{bar}] {}/{}",
                        short(blob),
                        human_size(*done),
                        human_size(*total)
                    ),
                );
            }
            PullEvent::Retrying { blob, at, error } => {
                self.set(
                    blob,
                    format!("{}: resuming at {} ({error})", short(blob), human_size(*at)),
                );
            }
            PullEvent::Done { blob } => {
                self.set(blob, format!("{}: pull complete", short(blob)));
            }
        }
        if !self.tty {
            if let PullEvent::Done { blob } | PullEvent::Exists { blob } = &event
                && let Some((_, text)) = self.rows.iter().find(|(d, _)| d == blob)
            {
                eprintln!("{text}");
            }
            if let PullEvent::Retrying { blob, .. } = &event
                && let Some((_, text)) = self.rows.iter().find(|(d, _)| d == blob)
            {
                eprintln!("{text}");
            }
            return;
        }
        // At most ~10 redraws a second for byte counts; state changes always.
        if !force
            && self
                .last_draw
                .is_some_and(|t| t.elapsed().as_millis() < 100)
        {
            return;
        }
        self.draw();
    }

    fn draw(&mut self) {
        use std::io::Write;
        self.last_draw = Some(std::time::Instant::now());
        let mut err = std::io::stderr().lock();
        if self.drawn > 0 {
            let _ = write!(err, "\x1b[{}A", self.drawn);
        }
        for (_, text) in &self.rows {
            let _ = writeln!(err, "\x1b[2K{text}");
        }
        self.drawn = self.rows.len();
        let _ = err.flush();
    }

    /// Shows the final state (the last byte counts may not have been drawn).
    fn finish(&mut self) {
        if self.tty {
            self.draw();
        }
    }
}

/// Sizes as crictl prints them: decimal units, three significant digits.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}B")
    } else if size < 10.0 {
        format!("{size:.2}{}", UNITS[unit])
    } else if size < 100.0 {
        format!("{size:.1}{}", UNITS[unit])
    } else {
        format!("{size:.0}{}", UNITS[unit])
    }
}

fn print_table<const N: usize>(header: [&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == N {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}   "));
            }
        }
        println!("{}", out.trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_like_crictl() {
        assert_eq!(human_size(999), "999B");
        assert_eq!(human_size(1_234), "1.23kB");
        assert_eq!(human_size(12_345_678), "12.3MB");
        assert_eq!(human_size(123_456_789), "123MB");
    }
}
