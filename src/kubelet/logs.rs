//! Reading a container's CRI log for `kubectl logs`, as the kubelet's `ReadLogs`: the rotated
//! files oldest first then the current one, `P` (partial) records joined to the `F` that ends
//! them, `sinceTime`/`sinceSeconds`, `tailLines`, `timestamps`, `limitBytes`; following reads on
//! as the file grows (and across a rotation) until the container ends.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;

/// What the request asked for (`PodLogOptions`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogOptions {
    pub tail_lines: Option<i64>,
    pub since: Option<Timestamp>,
    pub timestamps: bool,
    pub limit_bytes: Option<i64>,
    pub follow: bool,
}

/// One record of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub time: &'a str,
    pub stream: &'a str,
    pub partial: bool,
    pub content: &'a [u8],
}

/// Parses `<time> <stream> <P|F> <content>` (the newline already removed).
pub fn parse(line: &[u8]) -> Option<Record<'_>> {
    let mut parts = line.splitn(4, |b| *b == b' ');
    let time = std::str::from_utf8(parts.next()?).ok()?;
    let stream = std::str::from_utf8(parts.next()?).ok()?;
    let tag = parts.next()?;
    let content = parts.next().unwrap_or(b"");
    if !matches!(stream, "stdout" | "stderr") {
        return None;
    }
    let partial = match tag {
        b"P" => true,
        b"F" => false,
        _ => return None,
    };
    Some(Record {
        time,
        stream,
        partial,
        content,
    })
}

/// The files of one container run, oldest first: `<path>.<n>` … `<path>.1`, then `<path>`.
pub fn files(path: &Path) -> Vec<PathBuf> {
    let mut rotated: Vec<(u32, PathBuf)> = Vec::new();
    if let (Some(dir), Some(name)) = (path.parent(), path.file_name()) {
        let prefix = format!("{}.", name.to_string_lossy());
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let file = e.file_name().to_string_lossy().into_owned();
                if let Some(n) = file.strip_prefix(&prefix).and_then(|n| n.parse().ok()) {
                    rotated.push((n, e.path()));
                }
            }
        }
    }
    rotated.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    let mut all: Vec<PathBuf> = rotated.into_iter().map(|(_, p)| p).collect();
    all.push(path.to_owned());
    all
}

/// Turns records into what `kubectl logs` prints, applying the options. Stateful across
/// calls (a `P` record waits for the rest of its line; `limitBytes` counts everything sent).
#[derive(Debug)]
pub struct Renderer {
    opts: LogOptions,
    sent: u64,
    /// Whether the current output line began (its timestamp printed).
    in_line: bool,
}

impl Renderer {
    pub fn new(opts: LogOptions) -> Renderer {
        Renderer {
            opts,
            sent: 0,
            in_line: false,
        }
    }

    /// Whether `limitBytes` is used up.
    pub fn done(&self) -> bool {
        self.opts
            .limit_bytes
            .is_some_and(|l| self.sent >= l.max(0) as u64)
    }

    /// Appends the rendering of one record line to `out`.
    pub fn push(&mut self, line: &[u8], out: &mut Vec<u8>) {
        let Some(r) = parse(line) else { return };
        if let Some(since) = self.opts.since
            && r.time.parse::<Timestamp>().is_ok_and(|t| t < since)
        {
            return;
        }
        let mut chunk = Vec::with_capacity(r.content.len() + 40);
        if self.opts.timestamps && !self.in_line {
            chunk.extend_from_slice(r.time.as_bytes());
            chunk.push(b' ');
        }
        chunk.extend_from_slice(r.content);
        if r.partial {
            self.in_line = true;
        } else {
            chunk.push(b'\n');
            self.in_line = false;
        }
        if let Some(limit) = self.opts.limit_bytes {
            let left = (limit.max(0) as u64).saturating_sub(self.sent) as usize;
            chunk.truncate(left);
        }
        self.sent += chunk.len() as u64;
        out.extend_from_slice(&chunk);
    }
}

/// The record lines of the whole log (all files), after `tailLines`; of the current file only
/// its first `upto` bytes when given (a follower sends the rest).
pub fn read_all(
    path: &Path,
    tail_lines: Option<i64>,
    upto: Option<u64>,
) -> io::Result<Vec<Vec<u8>>> {
    use std::io::Read;
    let mut lines = Vec::new();
    for f in files(path) {
        let file = match File::open(&f) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let limit = if f == path {
            upto.unwrap_or(u64::MAX)
        } else {
            u64::MAX
        };
        for line in BufReader::new(file.take(limit)).split(b'\n') {
            lines.push(line?);
        }
    }
    if let Some(n) = tail_lines {
        // Whole lines, not records: walking back, a line is its `F` record and the `P` ones
        // before it.
        let n = n.max(0) as usize;
        let mut full = 0;
        let mut start = lines.len();
        while start > 0 {
            let partial = parse(&lines[start - 1]).is_some_and(|r| r.partial);
            if !partial {
                if full == n {
                    break;
                }
                full += 1;
            }
            start -= 1;
        }
        lines.drain(..start);
    }
    Ok(lines)
}

/// Follows the current file from where `read_all` ended: returns new complete record lines as
/// they appear, reopening the file after a rotation. Blocking; call on a blocking thread.
pub struct Follower {
    path: PathBuf,
    reader: Option<BufReader<File>>,
    ino: u64,
    pos: u64,
    buf: Vec<u8>,
}

impl Follower {
    /// Starts at the current end of the current file.
    pub fn at_end(path: &Path) -> Follower {
        let mut f = Follower {
            path: path.to_owned(),
            reader: None,
            ino: 0,
            pos: 0,
            buf: Vec::new(),
        };
        if let Ok(mut file) = File::open(path) {
            let meta = file.metadata().ok();
            f.ino = meta.as_ref().map_or(0, |m| m.ino());
            f.pos = file.seek(SeekFrom::End(0)).unwrap_or(0);
            f.reader = Some(BufReader::new(file));
        }
        f
    }

    /// The offset in the current file from which it follows.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Complete lines written since the last call (none yet: an empty vector).
    pub fn poll(&mut self) -> io::Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        loop {
            let Some(reader) = self.reader.as_mut() else {
                match File::open(&self.path) {
                    Ok(file) => {
                        self.ino = file.metadata()?.ino();
                        self.pos = 0;
                        self.reader = Some(BufReader::new(file));
                        continue;
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
                    Err(e) => return Err(e),
                }
            };
            let n = reader.read_until(b'\n', &mut self.buf)?;
            if n > 0 {
                self.pos += n as u64;
                if self.buf.ends_with(b"\n") {
                    self.buf.pop();
                    out.push(std::mem::take(&mut self.buf));
                }
                continue;
            }
            // At the end: rotated away (another inode at the path, or truncated)?
            match std::fs::metadata(&self.path) {
                Ok(m) if m.ino() != self.ino || m.len() < self.pos => {
                    self.reader = None;
                    self.buf.clear();
                    continue;
                }
                _ => return Ok(out),
            }
        }
    }
}

/// How often a follower looks for new output.
pub const FOLLOW_POLL: Duration = Duration::from_millis(100);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::logs::{LogWriter, Stream};

    fn render(lines: &[Vec<u8>], opts: LogOptions) -> String {
        let mut r = Renderer::new(opts);
        let mut out = Vec::new();
        for l in lines {
            r.push(l, &mut out);
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn records_parse_and_partials_join() {
        let r = parse(b"2026-01-01T00:00:00.5Z stdout P abc").unwrap();
        assert_eq!(
            (r.stream, r.partial, r.content),
            ("stdout", true, &b"abc"[..])
        );
        assert!(parse(b"garbage").is_none());
        assert!(parse(b"t stdin F x").is_none());
        let lines: Vec<Vec<u8>> = [
            "2026-01-01T00:00:00Z stdout P hel",
            "2026-01-01T00:00:01Z stdout F lo",
            "2026-01-01T00:00:02Z stderr F ",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        assert_eq!(render(&lines, LogOptions::default()), "hello\n\n");
        let ts = LogOptions {
            timestamps: true,
            ..Default::default()
        };
        assert_eq!(
            render(&lines, ts),
            "2026-01-01T00:00:00Z hello\n2026-01-01T00:00:02Z \n"
        );
        let limited = LogOptions {
            limit_bytes: Some(3),
            ..Default::default()
        };
        assert_eq!(render(&lines, limited), "hel");
        let since = LogOptions {
            since: Some("2026-01-01T00:00:01Z".parse().unwrap()),
            ..Default::default()
        };
        assert_eq!(render(&lines, since), "lo\n\n");
    }

    #[test]
    fn tail_counts_lines_across_rotated_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.log");
        // Tiny files: every few records rotate.
        let mut w = LogWriter::open(&path, 200, 10).unwrap();
        for i in 0..20 {
            w.write(Stream::Stdout, format!("line {i}\n").as_bytes())
                .unwrap();
        }
        assert!(files(&path).len() > 2, "{:?}", files(&path));
        let all = read_all(&path, None, None).unwrap();
        let text = render(&all, LogOptions::default());
        let expected: String = (0..20).map(|i| format!("line {i}\n")).collect();
        assert_eq!(text, expected);
        let tail = read_all(&path, Some(3), None).unwrap();
        assert_eq!(
            render(&tail, LogOptions::default()),
            "line 17\nline 18\nline 19\n"
        );
        assert!(read_all(&path, Some(0), None).unwrap().is_empty());
    }

    #[test]
    fn follower_sees_appends_and_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.log");
        let mut w = LogWriter::open(&path, 120, 3).unwrap();
        w.write(Stream::Stdout, b"before\n").unwrap();
        let mut f = Follower::at_end(&path);
        assert!(f.poll().unwrap().is_empty());
        let mut seen = String::new();
        for i in 0..6 {
            w.write(Stream::Stdout, format!("after {i}\n").as_bytes())
                .unwrap();
            seen.push_str(&render(&f.poll().unwrap(), LogOptions::default()));
        }
        let expected: String = (0..6).map(|i| format!("after {i}\n")).collect();
        assert_eq!(seen, expected);
    }
}
