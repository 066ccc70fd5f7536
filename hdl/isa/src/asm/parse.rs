//! The assembler: text → [`Program`].

use crate::encode::to_field_signed;
use crate::instr::{Buf, Deps, FieldKind, FieldLayout, Instr, Op, OpLayout, LAYOUTS};
use crate::program::Program;
use crate::tokens::Flag;
use crate::IsaError;

/// Parses a whole program; stops at the first malformed line.
pub fn parse(text: &str) -> Result<Program, IsaError> {
    parse_all(text).map_err(|mut errs| errs.swap_remove(0))
}

/// Parses a whole program, reporting every malformed line.
pub fn parse_all(text: &str) -> Result<Program, Vec<IsaError>> {
    let mut prog = Program::new();
    let mut errs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        match Line::new(line, i + 1).parse() {
            Ok(Some((ins, prov))) => {
                prog.push_with(ins, prov);
            }
            Ok(None) => {}
            Err(e) => errs.push(e),
        }
    }
    if errs.is_empty() {
        Ok(prog)
    } else {
        Err(errs)
    }
}

/// Parses one line holding one instruction (errors report line 1).
pub fn parse_instr(line: &str) -> Result<(Instr, Option<String>), IsaError> {
    match Line::new(line, 1).parse()? {
        Some(x) => Ok(x),
        None => Err(IsaError::Asm {
            line: 1,
            col: 1,
            message: "expected an instruction, found an empty line".into(),
        }),
    }
}

/// A cursor over one line.
struct Line {
    chars: Vec<char>,
    pos: usize,
    line: usize,
}

impl Line {
    fn new(text: &str, line: usize) -> Self {
        Line {
            chars: text.chars().collect(),
            pos: 0,
            line,
        }
    }

    fn err_at(&self, pos: usize, message: impl Into<String>) -> IsaError {
        IsaError::Asm {
            line: self.line,
            col: pos + 1,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_blanks(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// True at the end of the line or at a comment.
    fn at_end(&self) -> bool {
        matches!(self.peek(), None | Some(';'))
    }

    fn word(&mut self) -> Option<String> {
        let start = self.pos;
        if !self
            .peek()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        {
            return None;
        }
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.pos += 1;
        }
        Some(self.chars[start..self.pos].iter().collect())
    }

    /// After an item: a blank, a comment or the end of the line.
    fn separator(&self) -> Result<(), IsaError> {
        match self.peek() {
            None | Some(';') => Ok(()),
            Some(c) if c.is_whitespace() => Ok(()),
            Some(c) => Err(self.err_at(
                self.pos,
                format!("expected a blank, ';' or the end of the line, found '{c}'"),
            )),
        }
    }

    fn parse(mut self) -> Result<Option<(Instr, Option<String>)>, IsaError> {
        self.skip_blanks();
        if self.at_end() {
            return Ok(None);
        }
        let start = self.pos;
        let Some(mnem) = self.word() else {
            return Err(self.err_at(
                start,
                format!(
                    "expected a mnemonic, found '{}'",
                    self.peek().unwrap_or(' ')
                ),
            ));
        };
        let Some(layout) = LAYOUTS.iter().find(|l| l.mnemonic == mnem) else {
            return Err(self.err_at(
                start,
                format!("unknown mnemonic '{mnem}'; {}", suggest_mnemonic(&mnem)),
            ));
        };
        self.separator()?;
        let mut values: Vec<Option<(u64, usize)>> = vec![None; layout.fields.len()];
        let mut deps = Deps::default();
        let mut flag_pos: [Option<usize>; 4] = [None; 4];
        let mut provenance = None;
        loop {
            self.skip_blanks();
            if self.at_end() {
                break;
            }
            let item = self.pos;
            match self.peek() {
                Some('+') => {
                    self.pos += 1;
                    let name = self.word().unwrap_or_default();
                    let Some(fi) = Flag::ALL.iter().position(|f| f.name() == name) else {
                        return Err(self.err_at(item, format!("unknown flag '+{name}'; expected +pop_prev, +pop_next, +push_prev or +push_next")));
                    };
                    if let Some(p) = flag_pos[fi] {
                        return Err(self.err_at(
                            item,
                            format!("flag '+{name}' given twice (first at column {})", p + 1),
                        ));
                    }
                    flag_pos[fi] = Some(item);
                    Flag::ALL[fi].set(&mut deps, true);
                    self.separator()?;
                }
                Some('@') => {
                    self.pos += 1;
                    self.skip_blanks();
                    provenance = Some(self.string()?);
                    self.skip_blanks();
                    if !self.at_end() {
                        return Err(self.err_at(
                            self.pos,
                            "expected a ';' comment or the end of the line after the provenance",
                        ));
                    }
                    break;
                }
                _ => {
                    let Some(name) = self.word() else {
                        return Err(self.err_at(
                            item,
                            "expected field=value, +flag, @ \"provenance\" or a ';' comment",
                        ));
                    };
                    let Some(fi) = layout.fields.iter().position(|f| f.name == name) else {
                        return Err(self.err_at(item, unknown_field(layout, &name)));
                    };
                    if let Some((_, p)) = values[fi] {
                        return Err(self.err_at(
                            item,
                            format!("field '{name}' given twice (first at column {})", p + 1),
                        ));
                    }
                    if self.peek() != Some('=') {
                        return Err(
                            self.err_at(self.pos, format!("expected '=' after field '{name}'"))
                        );
                    }
                    self.pos += 1;
                    let v = self.value(&layout.fields[fi])?;
                    values[fi] = Some((v, item));
                    self.separator()?;
                }
            }
        }
        let raw: Vec<u64> = values.iter().map(|v| v.map_or(0, |(x, _)| x)).collect();
        let op = Op::from_values(layout.opcode, &raw)
            .ok_or_else(|| self.err_at(start, "internal: no operation for this opcode"))?;
        Ok(Some((Instr { deps, op }, provenance)))
    }

    /// A field value, checked against the field's width.
    fn value(&mut self, f: &FieldLayout) -> Result<u64, IsaError> {
        let start = self.pos;
        if f.kind == FieldKind::B && self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            let name = self.word().unwrap_or_default();
            return Buf::from_name(&name).map(|b| b as u64).ok_or_else(|| {
                self.err_at(start, format!("unknown buffer '{name}' for field '{}'; expected abuf, wbuf, kvbuf, sbuf, acc or a number", f.name))
            });
        }
        let neg = self.peek() == Some('-');
        if neg {
            self.pos += 1;
        }
        let digits_at = self.pos;
        let hex = self.chars[self.pos..].starts_with(&['0', 'x'])
            || self.chars[self.pos..].starts_with(&['0', 'X']);
        if hex {
            self.pos += 2;
        }
        let mut v: u128 = 0;
        let mut any = false;
        while let Some(c) = self.peek() {
            let d = if c == '_' {
                self.pos += 1;
                continue;
            } else if let Some(d) = c.to_digit(if hex { 16 } else { 10 }) {
                d
            } else {
                break;
            };
            any = true;
            v = v
                .saturating_mul(if hex { 16 } else { 10 })
                .saturating_add(d as u128);
            self.pos += 1;
        }
        if !any {
            let what = if f.kind == FieldKind::B {
                "a buffer name or a number"
            } else {
                "a number (decimal or 0x hex)"
            };
            let found = self
                .chars
                .get(digits_at)
                .map_or("the end of the line".to_string(), |c| format!("'{c}'"));
            return Err(self.err_at(
                digits_at,
                format!("expected {what} for field '{}', found {found}", f.name),
            ));
        }
        let w = f.width;
        match f.kind {
            FieldKind::I => {
                let (lo, hi) = (-(1i128 << (w - 1)), (1i128 << (w - 1)) - 1);
                let sv = if neg { -(v as i128) } else { v as i128 };
                if !(lo..=hi).contains(&sv) {
                    return Err(self.err_at(
                        start,
                        format!(
                            "value {sv} does not fit signed field '{}' ({w} bits: {lo}..={hi})",
                            f.name
                        ),
                    ));
                }
                to_field_signed(sv as i64, w)
                    .ok_or_else(|| self.err_at(start, "internal: signed range"))
            }
            _ => {
                let max = (1u128 << w) - 1;
                if neg {
                    return Err(self.err_at(start, format!("field '{}' is unsigned ({w} bits: 0..={max}); negative values are not allowed", f.name)));
                }
                if v > max {
                    return Err(self.err_at(
                        start,
                        format!(
                            "value {v} does not fit field '{}' ({w} bits: 0..={max})",
                            f.name
                        ),
                    ));
                }
                Ok(v as u64)
            }
        }
    }

    /// A double-quoted string with `\"`, `\\`, `\n`, `\t` escapes.
    fn string(&mut self) -> Result<String, IsaError> {
        let open = self.pos;
        if self.peek() != Some('"') {
            return Err(self.err_at(self.pos, "expected a double-quoted provenance after '@'"));
        }
        self.pos += 1;
        let mut s = String::new();
        loop {
            match self.peek() {
                None => {
                    return Err(self.err_at(open, "unterminated string: expected a closing '\"'"))
                }
                Some('"') => {
                    self.pos += 1;
                    return Ok(s);
                }
                Some('\\') => {
                    let c = self.chars.get(self.pos + 1).copied();
                    s.push(match c {
                        Some('"') => '"',
                        Some('\\') => '\\',
                        Some('n') => '\n',
                        Some('t') => '\t',
                        _ => {
                            return Err(self.err_at(
                                self.pos,
                                "unknown escape; expected \\\", \\\\, \\n or \\t",
                            ))
                        }
                    });
                    self.pos += 2;
                }
                Some(c) => {
                    s.push(c);
                    self.pos += 1;
                }
            }
        }
    }
}

fn unknown_field(layout: &OpLayout, name: &str) -> String {
    let names: Vec<&str> = layout.fields.iter().map(|f| f.name).collect();
    if names.is_empty() {
        return format!("unknown field '{name}': {} has no fields", layout.mnemonic);
    }
    let close = closest(name, &names);
    let hint = if close.is_empty() {
        String::new()
    } else {
        format!("did you mean {}? ", quote_list(&close))
    };
    format!(
        "unknown field '{name}' for {}; {hint}its fields are: {}",
        layout.mnemonic,
        names.join(", ")
    )
}

fn suggest_mnemonic(word: &str) -> String {
    let all: Vec<&str> = LAYOUTS.iter().map(|l| l.mnemonic).collect();
    let close = closest(word, &all);
    if close.is_empty() {
        format!("expected one of: {}", all.join(", "))
    } else {
        format!(
            "did you mean {}? (mnemonics: {})",
            quote_list(&close),
            all.join(", ")
        )
    }
}

fn quote_list(v: &[&str]) -> String {
    v.iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Candidates within edit distance 2 (or sharing a prefix of 3), closest first.
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2 || (word.len() >= 3 && c.starts_with(&word[..3])))
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
