//! Container logs in the CRI format the kubelet and `kubectl logs` read:
//! `<RFC3339Nano time> <stdout|stderr> <F|P> <content>\n`, one record per line; a line longer
//! than the read buffer is split into `P` (partial) records ending with an `F` (full) one, as
//! containerd does. Files rotate by size: the current one is `<name>`, older ones
//! `<name>.<n>` (1 = newest), at most `max_files` kept in all.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// The longest record content; longer lines become several `P` records.
pub const MAX_RECORD: usize = 16 * 1024;

pub struct LogWriter {
    path: PathBuf,
    file: File,
    size: u64,
    max_size: u64,
    max_files: usize,
    /// Per stream: the part of a line not yet ended by `\n`.
    pending: [Vec<u8>; 2],
}

impl LogWriter {
    /// Opens (appending to) the log at `path`. `max_size` 0 means no rotation.
    pub fn open(path: &Path, max_size: u64, max_files: usize) -> io::Result<LogWriter> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let size = file.metadata()?.len();
        Ok(LogWriter {
            path: path.to_owned(),
            file,
            size,
            max_size,
            max_files: max_files.max(1),
            pending: [Vec::new(), Vec::new()],
        })
    }

    /// Records what a stream produced (any chunking: lines are reassembled).
    pub fn write(&mut self, stream: Stream, mut data: &[u8]) -> io::Result<()> {
        let i = stream as usize;
        while !data.is_empty() {
            match data.iter().position(|b| *b == b'\n') {
                Some(nl) => {
                    let mut line = std::mem::take(&mut self.pending[i]);
                    line.extend_from_slice(&data[..nl]);
                    self.record_line(stream, &line)?;
                    data = &data[nl + 1..];
                }
                None => {
                    self.pending[i].extend_from_slice(data);
                    data = &[];
                    // A line that will not fit one record goes out in parts now.
                    while self.pending[i].len() > MAX_RECORD {
                        let rest = self.pending[i].split_off(MAX_RECORD);
                        let part = std::mem::replace(&mut self.pending[i], rest);
                        self.record(stream, 'P', &part)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes out unterminated output (the stream closed without a final newline), as a
    /// full record the way containerd does at EOF.
    pub fn flush_stream(&mut self, stream: Stream) -> io::Result<()> {
        let i = stream as usize;
        if !self.pending[i].is_empty() {
            let part = std::mem::take(&mut self.pending[i]);
            self.record(stream, 'F', &part)?;
        }
        Ok(())
    }

    fn record_line(&mut self, stream: Stream, line: &[u8]) -> io::Result<()> {
        let mut chunks = line.chunks(MAX_RECORD).peekable();
        if chunks.peek().is_none() {
            return self.record(stream, 'F', b"");
        }
        while let Some(chunk) = chunks.next() {
            let tag = if chunks.peek().is_some() { 'P' } else { 'F' };
            self.record(stream, tag, chunk)?;
        }
        Ok(())
    }

    fn record(&mut self, stream: Stream, tag: char, content: &[u8]) -> io::Result<()> {
        let now = jiff::Timestamp::now();
        let mut rec = Vec::with_capacity(content.len() + 48);
        // RFC 3339 in UTC with up to 9 fraction digits, trailing zeros trimmed: Go's
        // RFC3339Nano, which the kubelet parses.
        write!(rec, "{now} {} {tag} ", stream.as_str())?;
        rec.extend_from_slice(content);
        rec.push(b'\n');
        if self.max_size > 0 && self.size > 0 && self.size + rec.len() as u64 > self.max_size {
            self.rotate()?;
        }
        self.file.write_all(&rec)?;
        self.size += rec.len() as u64;
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        let name = |n: usize| {
            let mut p = self.path.clone().into_os_string();
            p.push(format!(".{n}"));
            PathBuf::from(p)
        };
        // Keep max_files in all: the current file plus max_files - 1 rotated ones.
        let keep = self.max_files - 1;
        if keep == 0 {
            self.file.set_len(0)?;
            self.size = 0;
            return Ok(());
        }
        let _ = fs::remove_file(name(keep));
        for n in (1..keep).rev() {
            let _ = fs::rename(name(n), name(n + 1));
        }
        fs::rename(&self.path, name(1))?;
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(path: &Path) -> Vec<(String, String, String)> {
        fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| {
                let mut parts = l.splitn(4, ' ');
                let time = parts.next().unwrap();
                assert!(time.parse::<jiff::Timestamp>().is_ok(), "{time}");
                (
                    parts.next().unwrap().to_owned(),
                    parts.next().unwrap().to_owned(),
                    parts.next().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn lines_are_reassembled_and_tagged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c/0.log");
        let mut w = LogWriter::open(&path, 0, 1).unwrap();
        w.write(Stream::Stdout, b"hel").unwrap();
        w.write(Stream::Stderr, b"oops\n").unwrap();
        w.write(Stream::Stdout, b"lo\n\nworld").unwrap();
        w.flush_stream(Stream::Stdout).unwrap();
        let long = vec![b'x'; MAX_RECORD * 2 + 5];
        w.write(Stream::Stdout, &long).unwrap();
        w.write(Stream::Stdout, b"\n").unwrap();
        let r = records(&path);
        let tags: Vec<(&str, &str, usize)> = r
            .iter()
            .map(|(s, t, c)| (s.as_str(), t.as_str(), c.len()))
            .collect();
        assert_eq!(
            tags,
            [
                ("stderr", "F", 4),
                ("stdout", "F", 5),
                ("stdout", "F", 0),
                ("stdout", "F", 5),
                ("stdout", "P", MAX_RECORD),
                ("stdout", "P", MAX_RECORD),
                ("stdout", "F", 5),
            ]
        );
        assert_eq!(r[1].2, "hello");
        let first = fs::read_to_string(&path).unwrap();
        let time = first.split(' ').next().unwrap();
        assert!(
            time.ends_with('Z') && time.contains('T'),
            "RFC 3339 in UTC: {time}"
        );
    }

    #[test]
    fn rotates_by_size_keeping_max_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.log");
        let mut w = LogWriter::open(&path, 200, 3).unwrap();
        for i in 0..40 {
            w.write(Stream::Stdout, format!("line {i:02}\n").as_bytes())
                .unwrap();
        }
        assert!(fs::metadata(&path).unwrap().len() <= 200);
        assert!(dir.path().join("0.log.1").exists() && dir.path().join("0.log.2").exists());
        assert!(!dir.path().join("0.log.3").exists());
        let last = records(&path);
        assert_eq!(last.last().unwrap().2, "line 39");
        let older = records(&dir.path().join("0.log.1"));
        let n: usize = older.last().unwrap().2[5..].parse().unwrap();
        assert_eq!(
            n + 1,
            last.first().unwrap().2[5..].parse::<usize>().unwrap()
        );
    }
}
