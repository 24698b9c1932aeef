//! `orch images`: the node's image store (`<data-dir>/agent/image-store`).

use std::path::PathBuf;

use anyhow::Context;

use crate::runtime::images::Reference;
use crate::runtime::images::import::import_archive;
use crate::runtime::images::store::ImageStore;

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
    #[command(subcommand)]
    pub command: ImagesCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum ImagesCommand {
    /// List the images of the node
    #[command(visible_alias = "list")]
    Ls,
    /// Import images from OCI-layout or `docker save` tarballs
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Remove image names (their blobs stay on disk: image garbage collection is not built yet)
    #[command(visible_alias = "remove")]
    Rm {
        #[arg(required = true, value_name = "IMAGE")]
        images: Vec<String>,
    },
}

/// Where a node keeps its images.
pub fn store_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("agent").join("image-store")
}

pub fn run(args: ImagesArgs) -> anyhow::Result<()> {
    let dir = store_dir(&args.data_dir);
    let store = ImageStore::open(&dir)
        .with_context(|| format!("cannot open the image store {}", dir.display()))?;
    match args.command {
        ImagesCommand::Ls => {
            let rows: Vec<[String; 4]> = store
                .list()
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
                let f = std::fs::File::open(&file)
                    .with_context(|| format!("cannot open {}", file.display()))?;
                let names = import_archive(&store, std::io::BufReader::new(f))
                    .with_context(|| format!("cannot import {}", file.display()))?;
                for name in names {
                    println!("imported {}", name.familiar());
                }
            }
            Ok(())
        }
        ImagesCommand::Rm { images } => {
            for image in images {
                let reference: Reference = image.parse()?;
                store.untag(&reference)?;
                println!("deleted {}", reference.familiar());
            }
            Ok(())
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
