//! What a simulated container "does": how long it runs and how it exits, read from its command
//! and arguments (`sleep N`, `exit N`, as in `["sh", "-c", "sleep 2; exit 3"]`) or from the pod's
//! `sim.orch.dev/run-seconds` / `sim.orch.dev/exit-code` annotations.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::Container;

/// Annotation overriding how long every container of the pod runs (seconds, may be fractional).
pub const RUN_SECONDS_ANNOTATION: &str = "sim.orch.dev/run-seconds";
/// Annotation overriding the exit code of every container of the pod.
pub const EXIT_CODE_ANNOTATION: &str = "sim.orch.dev/exit-code";

/// How long a container runs when its command says nothing about it.
pub const DEFAULT_RUN: Duration = Duration::from_secs(1);

#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// `None`: runs forever (`sleep infinity`).
    pub run: Option<Duration>,
    pub exit_code: i32,
}

impl Program {
    /// The program of `container`, with the pod's annotations taking precedence.
    pub fn of(container: &Container, annotations: Option<&BTreeMap<String, String>>) -> Program {
        let words: Vec<&str> = container
            .command
            .iter()
            .flatten()
            .chain(container.args.iter().flatten())
            .map(String::as_str)
            .collect();
        let mut program = parse(&words);
        if let Some(a) = annotations {
            if let Some(secs) = a
                .get(RUN_SECONDS_ANNOTATION)
                .and_then(|s| s.trim().parse::<f64>().ok())
            {
                program.run = Duration::try_from_secs_f64(secs.max(0.0)).ok();
            }
            if let Some(code) = a
                .get(EXIT_CODE_ANNOTATION)
                .and_then(|s| s.trim().parse::<i32>().ok())
            {
                program.exit_code = code;
            }
        }
        program
    }
}

/// Interprets a command line: a shell (`sh -c SCRIPT`) runs its script; otherwise the words are
/// one simple command.
pub fn parse(words: &[&str]) -> Program {
    let script = match words {
        [shell, flag, script, ..]
            if is_shell(shell) && flag.starts_with('-') && flag.contains('c') =>
        {
            script.to_string()
        }
        _ => words.join(" "),
    };
    let mut run = Duration::ZERO;
    let mut slept = false;
    let mut exit_code = 0;
    'script: for statement in script.split(['\n', ';', '&', '|']) {
        let mut tokens = statement.split_whitespace();
        let Some(first) = tokens.next() else { continue };
        match first.rsplit('/').next().unwrap_or(first) {
            "sleep" => {
                slept = true;
                for arg in tokens {
                    match sleep_duration(arg) {
                        Some(d) => run = run.saturating_add(d),
                        None => {
                            return Program {
                                run: None,
                                exit_code: 0,
                            };
                        }
                    }
                }
            }
            "exit" => {
                exit_code = tokens.next().and_then(|c| c.parse().ok()).unwrap_or(0);
                break 'script;
            }
            "false" => exit_code = 1,
            "true" => exit_code = 0,
            _ => {}
        }
    }
    Program {
        run: Some(if slept { run } else { DEFAULT_RUN }),
        exit_code,
    }
}

fn is_shell(word: &str) -> bool {
    matches!(
        word.rsplit('/').next().unwrap_or(word),
        "sh" | "bash" | "ash" | "dash" | "zsh"
    )
}

/// `sleep`'s argument: a number with an optional `s`/`m`/`h`/`d` suffix; `None` for `infinity`.
fn sleep_duration(arg: &str) -> Option<Duration> {
    if arg.eq_ignore_ascii_case("infinity") || arg.eq_ignore_ascii_case("inf") {
        return None;
    }
    let (number, unit) = match arg.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&arg[..i], c),
        _ => (arg, 's'),
    };
    let scale = match unit {
        's' => 1.0,
        'm' => 60.0,
        'h' => 3600.0,
        'd' => 86400.0,
        _ => return Some(Duration::ZERO),
    };
    let secs = number.parse::<f64>().unwrap_or(0.0) * scale;
    Some(Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or(Duration::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(words: &[&str]) -> (Option<f64>, i32) {
        let prog = parse(words);
        (prog.run.map(|d| d.as_secs_f64()), prog.exit_code)
    }

    #[test]
    fn commands() {
        let cases: &[(&[&str], (Option<f64>, i32))] = &[
            (&[], (Some(1.0), 0)),
            (&["sh", "-c", "sleep 2; exit 3"], (Some(2.0), 3)),
            (&["/bin/sh", "-c", "sleep 1 && sleep 0.5"], (Some(1.5), 0)),
            (&["sleep", "3600"], (Some(3600.0), 0)),
            (&["sleep", "2m"], (Some(120.0), 0)),
            (&["sleep", "infinity"], (None, 0)),
            (&["sh", "-c", "exit 7"], (Some(1.0), 7)),
            (&["sh", "-ec", "echo hi\nsleep 1\nexit 0"], (Some(1.0), 0)),
            (&["false"], (Some(1.0), 1)),
            (&["echo", "hello"], (Some(1.0), 0)),
            (&["sh", "-c", "exit 2; sleep 5"], (Some(1.0), 2)),
        ];
        for (words, want) in cases {
            assert_eq!(p(words), *want, "{words:?}");
        }
    }

    #[test]
    fn annotations_override() {
        let c = Container {
            name: "c".into(),
            command: Some(vec!["sh".into(), "-c".into(), "sleep 5; exit 1".into()]),
            ..Default::default()
        };
        let a = BTreeMap::from([
            (RUN_SECONDS_ANNOTATION.to_string(), "0.25".to_string()),
            (EXIT_CODE_ANNOTATION.to_string(), "0".to_string()),
        ]);
        assert_eq!(
            Program::of(&c, Some(&a)),
            Program {
                run: Some(Duration::from_millis(250)),
                exit_code: 0
            }
        );
        assert_eq!(
            Program::of(&c, None),
            Program {
                run: Some(Duration::from_secs(5)),
                exit_code: 1
            }
        );
    }
}
