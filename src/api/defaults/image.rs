//! The image pull policy default: upstream parses the image with the Docker reference grammar
//! (`github.com/distribution/reference.ParseNormalizedNamed`, via
//! `pkg/util/parsers.ParseImageName`) and pulls `Always` only when the tag is `latest`, which is
//! also what a reference with neither tag nor digest gets. A reference that does not parse gets
//! `IfNotPresent` (validation does not check the image format).

/// `Always` or `IfNotPresent` for a container's `image`.
pub(super) fn pull_policy(image: &str) -> &'static str {
    if tag(image).as_deref() == Some("latest") {
        "Always"
    } else {
        "IfNotPresent"
    }
}

/// The tag `ParseImageName` reports: the explicit tag, `latest` when there is neither tag nor
/// digest, "" for a digest alone; `None` when the reference does not parse.
fn tag(image: &str) -> Option<String> {
    // ParseNormalizedNamed refuses a bare 64-hex identifier.
    if image.len() == 64
        && image
            .bytes()
            .all(|b| matches!(b, b'a'..=b'f' | b'0'..=b'9'))
    {
        return None;
    }
    let (domain, remainder) = split_docker_domain(image);
    let remote_name = remainder.split(':').next().unwrap_or_default();
    if remote_name.to_lowercase() != remote_name {
        return None;
    }
    let reference = format!("{domain}/{remainder}");
    let (tag, digest) = parse(&reference)?;
    match (tag, digest) {
        (Some(t), _) => Some(t.to_owned()),
        (None, Some(_)) => Some(String::new()),
        (None, None) => Some("latest".to_owned()),
    }
}

/// `splitDockerDomain`: the first path segment is a registry if it has a `.` or `:`, is
/// `localhost`, or has an upper-case letter; otherwise the registry is Docker Hub and a
/// single-segment name is an official `library/` image.
fn split_docker_domain(name: &str) -> (&str, String) {
    let (mut domain, remainder) = match name.find('/') {
        Some(i) => {
            let first = &name[..i];
            if !first.contains(['.', ':']) && first != "localhost" && first.to_lowercase() == first
            {
                ("docker.io", name)
            } else {
                (first, &name[i + 1..])
            }
        }
        None => ("docker.io", name),
    };
    if domain == "index.docker.io" {
        domain = "docker.io";
    }
    let remainder = if domain == "docker.io" && !remainder.contains('/') {
        format!("library/{remainder}")
    } else {
        remainder.to_owned()
    };
    (domain, remainder)
}

/// `reference.Parse` on a full `domain/path[:tag][@digest]`: the tag and digest, or `None` when
/// the reference does not match the grammar or the digest is not a valid sha256/384/512.
fn parse(reference: &str) -> Option<(Option<&str>, Option<&str>)> {
    let (name_and_tag, digest) = match reference.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (reference, None),
    };
    let last_slash = name_and_tag.rfind('/');
    let (name, tag) = match name_and_tag.rfind(':') {
        Some(c) if last_slash.is_none_or(|s| c > s) => {
            (&name_and_tag[..c], Some(&name_and_tag[c + 1..]))
        }
        _ => (name_and_tag, None),
    };
    if !valid_name(name) || name.len() > 255 {
        return None;
    }
    if let Some(t) = tag {
        valid_tag(t).then_some(())?;
    }
    if let Some(d) = digest {
        valid_digest(d).then_some(())?;
    }
    Some((tag, digest))
}

/// `[domain/]path-component(/path-component)*`.
fn valid_name(name: &str) -> bool {
    let segments: Vec<&str> = name.split('/').collect();
    let all_paths = |s: &[&str]| !s.is_empty() && s.iter().all(|p| valid_path_component(p));
    all_paths(&segments)
        || (segments.len() > 1 && valid_domain(segments[0]) && all_paths(&segments[1..]))
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
pub(crate) fn valid_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let mut i = 0;
    loop {
        let start = i;
        while i < b.len() && alnum(b[i]) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == b.len() {
            return true;
        }
        match b[i] {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if i < b.len() && b[i] == b'_' {
                    i += 1;
                }
            }
            b'-' => {
                while i < b.len() && b[i] == b'-' {
                    i += 1;
                }
            }
            _ => return false,
        }
    }
}

/// `host[:port]` where host is a DNS name of `[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?` labels or
/// a bracketed IPv6 address.
pub(crate) fn valid_domain(s: &str) -> bool {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let Some(end) = rest.find(']') else {
            return false;
        };
        let ip = &rest[..end];
        if ip.is_empty() || !ip.bytes().all(|c| c.is_ascii_hexdigit() || c == b':') {
            return false;
        }
        (None, &rest[end + 1..])
    } else {
        match s.find(':') {
            Some(i) => (Some(&s[..i]), &s[i..]),
            None => (Some(s), ""),
        }
    };
    if let Some(host) = host {
        let label_ok = |l: &str| {
            let b = l.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        };
        if !host.split('.').all(label_ok) {
            return false;
        }
    }
    match port.strip_prefix(':') {
        Some(p) => !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()),
        None => port.is_empty(),
    }
}

/// `[\w][\w.-]{0,127}`.
pub(crate) fn valid_tag(t: &str) -> bool {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b[1..].iter().all(|&c| word(c) || c == b'.' || c == b'-')
}

/// The digest grammar, then go-digest's validation: only the sha256, sha384 and sha512
/// algorithms are available, with exactly 64, 96 or 128 lower-case hex digits.
fn valid_digest(d: &str) -> bool {
    let Some((algorithm, hex)) = d.split_once(':') else {
        return false;
    };
    let len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == len && hex.bytes().all(|c| matches!(c, b'a'..=b'f' | b'0'..=b'9'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn pull_policy_follows_the_tag() {
        let digest = format!("nginx@{SHA}");
        let latest_and_digest = format!("nginx:latest@{SHA}");
        let tagged_and_digest = format!("nginx:1.25@{SHA}");
        let cases: &[(&str, &str)] = &[
            ("nginx", "Always"),
            ("nginx:latest", "Always"),
            ("nginx:1.21.6", "IfNotPresent"),
            ("library/nginx", "Always"),
            ("docker.io/library/nginx:latest", "Always"),
            ("index.docker.io/nginx", "Always"),
            ("python:3.9-slim", "IfNotPresent"),
            ("busybox", "Always"),
            // A registry port is not a tag.
            ("localhost:5000/img", "Always"),
            ("registry.example.com:5000/team/img", "Always"),
            ("registry.example.com:5000/team/img:v2", "IfNotPresent"),
            ("registry.example.com:5000/team/img:latest", "Always"),
            ("[::1]:5000/img", "Always"),
            ("[::1]:5000/img:1", "IfNotPresent"),
            // Without a slash, `host:5000` is image `host` with tag `5000`.
            ("localhost:5000", "IfNotPresent"),
            (&digest, "IfNotPresent"),
            (&latest_and_digest, "Always"),
            (&tagged_and_digest, "IfNotPresent"),
            ("ghcr.io/org/app:LATEST", "IfNotPresent"),
            ("a__b/c-d.e:x", "IfNotPresent"),
            ("a__b/c--d", "Always"),
            // Does not parse: IfNotPresent whatever the tag.
            ("", "IfNotPresent"),
            ("Nginx:latest", "IfNotPresent"),
            ("nginx:", "IfNotPresent"),
            ("nginx:lat est", "IfNotPresent"),
            ("nginx@sha256:abc", "IfNotPresent"),
            ("nginx:latest@sha256:ABC", "IfNotPresent"),
            ("a___b:latest", "IfNotPresent"),
            ("-a:latest", "IfNotPresent"),
            ("a.:latest", "IfNotPresent"),
            ("host:port/img:latest", "IfNotPresent"),
            (
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "IfNotPresent",
            ),
        ];
        for (image, want) in cases {
            assert_eq!(pull_policy(image), *want, "{image:?}");
        }
    }

    #[test]
    fn upper_case_first_segment_is_a_registry() {
        // `Foo/bar` : `Foo` is taken as a (valid) domain, so the reference parses.
        assert_eq!(tag("Foo/bar").as_deref(), Some("latest"));
        // `foo/Bar`: upper case in the repository path is refused.
        assert_eq!(tag("foo/Bar"), None);
    }

    #[test]
    fn long_names_are_refused() {
        let long = format!("{}:latest", "a".repeat(250));
        assert_eq!(tag(&long), None);
        let ok = format!("{}:latest", "a".repeat(200));
        assert_eq!(tag(&ok).as_deref(), Some("latest"));
    }
}
