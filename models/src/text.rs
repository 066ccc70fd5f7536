//! The graph's text form: one line per op, in topological order, that parses
//! back to an identical [`Graph`].
//!
//! ```text
//! # comments and blank lines are ignored
//! %0 = embedding[vocab=32000,dim=4096,positions=0,tied=false] () : [B*S,4096] "embed"
//! %1 = rmsnorm[dim=4096] (%0) : [B*S,4096] @layer0 "layer0.attn_norm"
//! %2 = linear[role=q,k=4096,n=4096,bias=false] (%1) : [B*S,4096] @layer0 "layer0.attn.q_proj"
//! %9 = add (%0, %8) : [B*S,4096] @layer0 "layer0.attn_residual"
//! ```
//!
//! Grammar: `%ID = KIND[ATTR=VALUE,...] (%IN, ...) : SHAPE [@layerN] "NAME"`.
//! Ids count up from `%0` in order; inputs name earlier ops; the attribute
//! list is left out for kinds without attributes (`add`, `mul`, `silu`, ...)
//! and must otherwise name every attribute of the kind exactly once, in any
//! order. Shapes are lists of [`Dim`]s (`B`, `S`, `L` and integers joined by
//! `*`). Names are double-quoted with `\"`, `\\`, `\n`, `\t`, `\r` and
//! `\u{HEX}` escapes. Edge shapes are not written: an edge carries its
//! producer's output shape.

use crate::dim::{Dim, Shape};
use crate::graph::{Graph, LinearRole, Op, OpId, OpKind};
use crate::spec::{ActFn, NormKind};
use crate::ModelError;
use std::collections::HashMap;
use std::fmt::{self, Write as _};

/// Prints a graph in the text form.
pub fn print(g: &Graph) -> String {
    let mut out = String::new();
    for (id, op) in g.ops() {
        let _ = write!(out, "{id} = {}", op.kind.name());
        let attrs = attrs_of(&op.kind);
        if !attrs.is_empty() {
            let list: Vec<String> = attrs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = write!(out, "[{}]", list.join(","));
        }
        let ins: Vec<String> = g.inputs(id).iter().map(|(p, _)| p.to_string()).collect();
        let _ = write!(out, " ({}) : {}", ins.join(", "), op.out);
        if let Some(l) = op.layer {
            let _ = write!(out, " @layer{l}");
        }
        let _ = writeln!(out, " {}", quote(&op.name));
    }
    out
}

impl fmt::Display for Graph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&print(self))
    }
}

/// Attribute names and printed values of an op kind, in canonical order.
fn attrs_of(kind: &OpKind) -> Vec<(&'static str, String)> {
    let n = |v: &u64| v.to_string();
    match kind {
        OpKind::Embedding {
            vocab,
            dim,
            positions,
            tied,
        } => vec![
            ("vocab", n(vocab)),
            ("dim", n(dim)),
            ("positions", n(positions)),
            ("tied", tied.to_string()),
        ],
        OpKind::Norm { dim, .. } => vec![("dim", n(dim))],
        OpKind::Linear {
            role,
            k,
            n: out,
            bias,
        } => vec![
            ("role", role.as_str().to_string()),
            ("k", n(k)),
            ("n", n(out)),
            ("bias", bias.to_string()),
        ],
        OpKind::MoeLinear {
            role,
            k,
            n: out,
            experts,
            top_k,
        } => vec![
            ("role", role.as_str().to_string()),
            ("k", n(k)),
            ("n", n(out)),
            ("experts", n(experts)),
            ("top_k", n(top_k)),
        ],
        OpKind::Rope {
            heads,
            kv_heads,
            head_dim,
        }
        | OpKind::AttnQk {
            heads,
            kv_heads,
            head_dim,
        }
        | OpKind::AttnSv {
            heads,
            kv_heads,
            head_dim,
        }
        | OpKind::FlashAttn {
            heads,
            kv_heads,
            head_dim,
        } => vec![
            ("heads", n(heads)),
            ("kv_heads", n(kv_heads)),
            ("head_dim", n(head_dim)),
        ],
        OpKind::KvWrite { kv_heads, head_dim } => {
            vec![("kv_heads", n(kv_heads)), ("head_dim", n(head_dim))]
        }
        OpKind::Softmax { heads } => vec![("heads", n(heads))],
        OpKind::TopK { experts, top_k } => vec![("experts", n(experts)), ("top_k", n(top_k))],
        OpKind::Act { .. } | OpKind::Add | OpKind::Mul => Vec::new(),
    }
}

/// Attribute names each kind requires (same order as [`attrs_of`]).
fn attr_names(kind: &str) -> Option<&'static [&'static str]> {
    const HEADS: &[&str] = &["heads", "kv_heads", "head_dim"];
    Some(match kind {
        "embedding" => &["vocab", "dim", "positions", "tied"],
        "rmsnorm" | "layernorm" => &["dim"],
        "linear" => &["role", "k", "n", "bias"],
        "moe_linear" => &["role", "k", "n", "experts", "top_k"],
        "rope" | "attn_qk" | "attn_sv" | "flash_attn" => HEADS,
        "kv_write" => &["kv_heads", "head_dim"],
        "softmax" => &["heads"],
        "topk" => &["experts", "top_k"],
        "silu" | "gelu" | "relu" | "add" | "mul" => &[],
        _ => return None,
    })
}

const KINDS: &str = "embedding, rmsnorm, layernorm, linear, moe_linear, rope, kv_write, \
                     attn_qk, softmax, attn_sv, flash_attn, silu, gelu, relu, add, mul, topk";

/// Quotes a name with the escapes the parser understands.
pub fn quote(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 2);
    s.push('"');
    for c in name.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            '\r' => s.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(s, "\\u{{{:x}}}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// Parses the text form. `file` names the input in error messages, which
/// give the line and column (both 1-based) and what was expected there.
pub fn parse(text: &str, file: &str) -> Result<Graph, ModelError> {
    let mut g = Graph::new();
    let mut names: HashMap<String, usize> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let mut c = Cursor {
            chars: line.chars().collect(),
            pos: 0,
            line: i + 1,
            file,
            name_col: 0,
        };
        c.skip_ws();
        if c.at_end() || c.peek() == Some('#') {
            continue;
        }
        let (op, inputs) = parse_line(&mut c, g.len())?;
        if let Some(first) = names.get(&op.name) {
            return Err(c.err_at(
                c.name_col,
                format!(
                    "duplicate op name {} (first defined on line {first})",
                    quote(&op.name)
                ),
            ));
        }
        names.insert(op.name.clone(), i + 1);
        g.add_op(op, &inputs);
    }
    Ok(g)
}

/// Parses one op line; `next_id` is the id the op must carry.
fn parse_line(c: &mut Cursor, next_id: usize) -> Result<(Op, Vec<OpId>), ModelError> {
    let col = c.col();
    let id = c.op_ref()?;
    if id as usize != next_id {
        return Err(c.err_at(
            col,
            format!("expected %{next_id} (ops are numbered from %0 in order), found %{id}"),
        ));
    }
    c.expect('=')?;
    c.skip_ws();
    let kind_col = c.col();
    let kind = c.ident("an op kind")?;
    let required = attr_names(&kind).ok_or_else(|| {
        c.err_at(
            kind_col,
            format!("expected an op kind ({KINDS}), found '{kind}'"),
        )
    })?;
    c.skip_ws();
    let mut attrs: Vec<(String, String, usize)> = Vec::new();
    if c.peek() == Some('[') {
        c.pos += 1;
        loop {
            c.skip_ws();
            if c.peek() == Some(']') && attrs.is_empty() {
                break;
            }
            let kcol = c.col();
            let key = c.ident("an attribute name")?;
            if !required.contains(&key.as_str()) {
                return Err(c.err_at(
                    kcol,
                    format!(
                        "expected an attribute of {kind} ({}), found '{key}'",
                        list_or_none(required)
                    ),
                ));
            }
            if attrs.iter().any(|(k, _, _)| *k == key) {
                return Err(c.err_at(kcol, format!("attribute '{key}' given twice")));
            }
            c.expect('=')?;
            c.skip_ws();
            let vcol = c.col();
            let value = c.word();
            if value.is_empty() {
                return Err(c.err("expected a value after '='".to_string()));
            }
            attrs.push((key, value, vcol));
            c.skip_ws();
            match c.peek() {
                Some(',') => c.pos += 1,
                Some(']') => break,
                _ => return Err(c.err_found("',' or ']' in the attribute list")),
            }
        }
        c.pos += 1;
    }
    if let Some(missing) = required
        .iter()
        .find(|r| !attrs.iter().any(|(k, _, _)| k == *r))
    {
        return Err(c.err(format!(
            "{kind} needs attribute '{missing}' (attributes: {})",
            required.join(", ")
        )));
    }
    let kind = build_kind(c, &kind, &attrs)?;
    c.expect('(')?;
    let mut inputs = Vec::new();
    c.skip_ws();
    if c.peek() != Some(')') {
        loop {
            c.skip_ws();
            let icol = c.col();
            let src = c.op_ref()?;
            if src as usize >= next_id {
                return Err(c.err_at(
                    icol,
                    format!("input %{src} is not defined yet (inputs must be earlier ops)"),
                ));
            }
            inputs.push(OpId(src));
            c.skip_ws();
            match c.peek() {
                Some(',') => c.pos += 1,
                Some(')') => break,
                _ => return Err(c.err_found("',' or ')' in the input list")),
            }
        }
    }
    c.pos += 1;
    if inputs.len() > u8::MAX as usize + 1 {
        return Err(c.err("at most 256 inputs per op".to_string()));
    }
    c.expect(':')?;
    let out = c.shape()?;
    c.skip_ws();
    let mut layer = None;
    if c.peek() == Some('@') {
        c.pos += 1;
        let lcol = c.col();
        let w = c.ident("'layer' followed by a number")?;
        layer = Some(
            w.strip_prefix("layer")
                .and_then(|n| n.parse::<u32>().ok())
                .ok_or_else(|| {
                    c.err_at(
                        lcol,
                        format!("expected 'layerN' with N a layer number, found '{w}'"),
                    )
                })?,
        );
        c.skip_ws();
    }
    c.name_col = c.col();
    let name = c.string()?;
    c.skip_ws();
    if !c.at_end() && c.peek() != Some('#') {
        return Err(c.err_found("the end of the line (or a '#' comment)"));
    }
    Ok((
        Op {
            name,
            layer,
            kind,
            out,
        },
        inputs,
    ))
}

fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// Builds an op kind from its (complete, checked) attributes.
fn build_kind(
    c: &Cursor,
    kind: &str,
    attrs: &[(String, String, usize)],
) -> Result<OpKind, ModelError> {
    let get = |k: &str| {
        attrs
            .iter()
            .find(|(n, _, _)| n == k)
            .map(|(_, v, col)| (v.as_str(), *col))
            .unwrap_or(("", 0))
    };
    let num = |k: &str| -> Result<u64, ModelError> {
        let (v, col) = get(k);
        v.parse::<u64>().map_err(|_| {
            c.err_at(
                col,
                format!("expected a non-negative integer for '{k}', found '{v}'"),
            )
        })
    };
    let flag = |k: &str| -> Result<bool, ModelError> {
        let (v, col) = get(k);
        match v {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(c.err_at(
                col,
                format!("expected true or false for '{k}', found '{v}'"),
            )),
        }
    };
    let role = || -> Result<LinearRole, ModelError> {
        let (v, col) = get("role");
        LinearRole::parse(v).ok_or_else(|| {
            c.err_at(col, format!("expected a linear role (q, k, v, qkv, o, gate, up, gate_up, down, lm_head, router), found '{v}'"))
        })
    };
    Ok(match kind {
        "embedding" => OpKind::Embedding {
            vocab: num("vocab")?,
            dim: num("dim")?,
            positions: num("positions")?,
            tied: flag("tied")?,
        },
        "rmsnorm" => OpKind::Norm {
            kind: NormKind::RmsNorm,
            dim: num("dim")?,
        },
        "layernorm" => OpKind::Norm {
            kind: NormKind::LayerNorm,
            dim: num("dim")?,
        },
        "linear" => OpKind::Linear {
            role: role()?,
            k: num("k")?,
            n: num("n")?,
            bias: flag("bias")?,
        },
        "moe_linear" => OpKind::MoeLinear {
            role: role()?,
            k: num("k")?,
            n: num("n")?,
            experts: num("experts")?,
            top_k: num("top_k")?,
        },
        "rope" => OpKind::Rope {
            heads: num("heads")?,
            kv_heads: num("kv_heads")?,
            head_dim: num("head_dim")?,
        },
        "attn_qk" => OpKind::AttnQk {
            heads: num("heads")?,
            kv_heads: num("kv_heads")?,
            head_dim: num("head_dim")?,
        },
        "attn_sv" => OpKind::AttnSv {
            heads: num("heads")?,
            kv_heads: num("kv_heads")?,
            head_dim: num("head_dim")?,
        },
        "flash_attn" => OpKind::FlashAttn {
            heads: num("heads")?,
            kv_heads: num("kv_heads")?,
            head_dim: num("head_dim")?,
        },
        "kv_write" => OpKind::KvWrite {
            kv_heads: num("kv_heads")?,
            head_dim: num("head_dim")?,
        },
        "softmax" => OpKind::Softmax {
            heads: num("heads")?,
        },
        "topk" => OpKind::TopK {
            experts: num("experts")?,
            top_k: num("top_k")?,
        },
        "silu" => OpKind::Act { func: ActFn::Silu },
        "gelu" => OpKind::Act { func: ActFn::Gelu },
        "relu" => OpKind::Act { func: ActFn::Relu },
        "add" => OpKind::Add,
        _ => OpKind::Mul,
    })
}

/// A position in one line of input.
struct Cursor<'a> {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    file: &'a str,
    name_col: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }
    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }
    fn col(&self) -> usize {
        self.pos + 1
    }
    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }
    fn err_at(&self, column: usize, message: String) -> ModelError {
        ModelError::Syntax {
            file: self.file.to_string(),
            line: self.line,
            column,
            message,
        }
    }
    fn err(&self, message: String) -> ModelError {
        self.err_at(self.col(), message)
    }
    /// "expected X, found Y" at the cursor.
    fn err_found(&self, expected: &str) -> ModelError {
        let found = match self.peek() {
            None => "the end of the line".to_string(),
            Some(ch) => format!("'{ch}'"),
        };
        self.err(format!("expected {expected}, found {found}"))
    }
    fn expect(&mut self, ch: char) -> Result<(), ModelError> {
        self.skip_ws();
        if self.peek() == Some(ch) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err_found(&format!("'{ch}'")))
        }
    }
    /// A run of characters that may form a value (`4096`, `true`, `gate_up`).
    fn word(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }
    fn ident(&mut self, what: &str) -> Result<String, ModelError> {
        if !self.peek().is_some_and(|ch| ch.is_ascii_alphabetic()) {
            return Err(self.err_found(what));
        }
        Ok(self.word())
    }
    fn number(&mut self, what: &str) -> Result<u64, ModelError> {
        let col = self.col();
        if !self.peek().is_some_and(|ch| ch.is_ascii_digit()) {
            return Err(self.err_found(what));
        }
        let w = self.word();
        w.parse::<u64>()
            .map_err(|_| self.err_at(col, format!("expected {what}, found '{w}'")))
    }
    fn op_ref(&mut self) -> Result<u32, ModelError> {
        self.skip_ws();
        if self.peek() != Some('%') {
            return Err(self.err_found("an op id such as %3"));
        }
        self.pos += 1;
        let col = self.col();
        let n = self.number("an op number after '%'")?;
        u32::try_from(n).map_err(|_| self.err_at(col, format!("op number {n} is too large")))
    }
    fn shape(&mut self) -> Result<Shape, ModelError> {
        self.expect('[')?;
        let mut dims = Vec::new();
        self.skip_ws();
        if self.peek() == Some(']') {
            self.pos += 1;
            return Ok(Shape(dims));
        }
        loop {
            dims.push(self.dim()?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(']') => {
                    self.pos += 1;
                    return Ok(Shape(dims));
                }
                _ => return Err(self.err_found("'*', ',' or ']' in the shape")),
            }
        }
    }
    /// One dimension: factors `B`, `S`, `L` or an integer, joined by `*`.
    fn dim(&mut self) -> Result<Dim, ModelError> {
        const MAX_POWER: u8 = 8;
        let mut d = Dim::c(1);
        loop {
            self.skip_ws();
            let col = self.col();
            let power = match self.peek() {
                Some('B') => Some(&mut d.b),
                Some('S') => Some(&mut d.s),
                Some('L') => Some(&mut d.l),
                Some(ch) if ch.is_ascii_digit() => None,
                _ => return Err(self.err_found("a dimension (B, S, L or an integer)")),
            };
            match power {
                Some(p) => {
                    if *p >= MAX_POWER {
                        return Err(self.err_at(
                            col,
                            format!("a symbol may appear at most {MAX_POWER} times in a dimension"),
                        ));
                    }
                    *p += 1;
                    self.pos += 1;
                }
                None => {
                    let n = self.number("an integer dimension")?;
                    d.coeff = d.coeff.checked_mul(n).ok_or_else(|| {
                        self.err_at(col, "dimension overflows 64 bits".to_string())
                    })?;
                }
            }
            self.skip_ws();
            if self.peek() == Some('*') {
                self.pos += 1;
            } else {
                return Ok(d);
            }
        }
    }
    fn string(&mut self) -> Result<String, ModelError> {
        if self.peek() != Some('"') {
            return Err(self.err_found("the op name in double quotes"));
        }
        self.pos += 1;
        let mut s = String::new();
        loop {
            let col = self.col();
            match self.peek() {
                None => {
                    return Err(
                        self.err("expected a closing '\"' before the end of the line".to_string())
                    )
                }
                Some('"') => {
                    self.pos += 1;
                    return Ok(s);
                }
                Some('\\') => {
                    self.pos += 1;
                    let e = self.peek();
                    self.pos += 1;
                    match e {
                        Some('"') => s.push('"'),
                        Some('\\') => s.push('\\'),
                        Some('n') => s.push('\n'),
                        Some('t') => s.push('\t'),
                        Some('r') => s.push('\r'),
                        Some('u') => s.push(self.unicode_escape(col)?),
                        _ => {
                            return Err(self.err_at(
                                col,
                                "expected an escape \\\" \\\\ \\n \\t \\r or \\u{HEX}".to_string(),
                            ))
                        }
                    }
                }
                Some(ch) => {
                    s.push(ch);
                    self.pos += 1;
                }
            }
        }
    }
    fn unicode_escape(&mut self, col: usize) -> Result<char, ModelError> {
        let bad = |c: &Self| {
            c.err_at(
                col,
                "expected \\u{HEX} with 1 to 6 hex digits naming a character".to_string(),
            )
        };
        if self.peek() != Some('{') {
            return Err(bad(self));
        }
        self.pos += 1;
        let start = self.pos;
        while self.peek().is_some_and(|ch| ch.is_ascii_hexdigit()) {
            self.pos += 1;
        }
        let hex: String = self.chars[start..self.pos].iter().collect();
        if self.peek() != Some('}') || hex.is_empty() || hex.len() > 6 {
            return Err(bad(self));
        }
        self.pos += 1;
        u32::from_str_radix(&hex, 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| bad(self))
    }
}
