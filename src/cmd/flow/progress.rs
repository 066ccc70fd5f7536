//! Progress of the flow on standard error: a redrawn bar on a terminal,
//! one plain line per step otherwise, nothing with `--quiet`. Colour only
//! on a terminal and only when `NO_COLOR` is unset or empty
//! (<https://no-color.org>).

use std::io::{IsTerminal, Write};
use std::time::Instant;

const WIDTH: usize = 24;

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Quiet,
    Lines,
    Bar { color: bool },
}

/// The progress display of one run.
pub struct Progress {
    mode: Mode,
    total: usize,
    done: usize,
    step_t: Instant,
}

impl Progress {
    /// A display for `total` steps.
    pub fn new(quiet: bool, total: usize) -> Progress {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bar {
                color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            }
        } else {
            Mode::Lines
        };
        Progress {
            mode,
            total,
            done: 0,
            step_t: Instant::now(),
        }
    }

    fn bar(&self, what: &str) {
        if let Mode::Bar { color } = self.mode {
            let fill = (WIDTH * self.done) / self.total.max(1);
            let (on, off) = if color {
                ("\x1b[36m", "\x1b[0m")
            } else {
                ("", "")
            };
            let mut e = std::io::stderr().lock();
            let _ = write!(
                e,
                "\r\x1b[2K{on}[{}{}]{off} {}/{} {what}",
                "#".repeat(fill),
                "-".repeat(WIDTH - fill),
                self.done,
                self.total
            );
            let _ = e.flush();
        }
    }

    /// A step begins.
    pub fn start(&mut self, name: &str) {
        self.step_t = Instant::now();
        match self.mode {
            Mode::Quiet => {}
            Mode::Lines => eprintln!(
                "[{}/{}] {name} ...",
                (self.done + 1).min(self.total),
                self.total
            ),
            Mode::Bar { .. } => self.bar(&format!("{name} ...")),
        }
    }

    /// A step ended.
    pub fn done(&mut self, name: &str) {
        self.done += 1;
        let s = self.step_t.elapsed().as_secs_f64();
        match self.mode {
            Mode::Quiet => {}
            Mode::Lines => eprintln!("[{}/{}] {name} done in {s:.1} s", self.done, self.total),
            Mode::Bar { color } => {
                let (on, off) = if color {
                    ("\x1b[32m", "\x1b[0m")
                } else {
                    ("", "")
                };
                let mut e = std::io::stderr().lock();
                let _ = writeln!(e, "\r\x1b[2K{on}done{off} {name} ({s:.1} s)");
                drop(e);
                self.bar("");
            }
        }
    }

    /// Clears the bar.
    pub fn finish(&mut self) {
        if let Mode::Bar { .. } = self.mode {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}
