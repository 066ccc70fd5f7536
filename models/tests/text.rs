//! The graph text form: hand-written graphs parse, odd names survive, and
//! every kind of mistake is reported with its line, column and expectation.

use llmfab_models::*;

const SMALL: &str = r#"# a hand-written graph
%0 = embedding[vocab=100,dim=8,positions=0,tied=true] () : [B*S,8] "embed"

%1 = rmsnorm[dim=8] (%0) : [B*S,8] @layer0 "layer0.attn_norm"   # trailing comment
%2 = linear[bias=false, role=q, n=8, k=8] (%1) : [ B*S , 8 ] @layer0 "layer0.attn.q_proj"
%3 = add (%0, %2) : [B*S,8] @layer0 "we\"ird\\name\n\u{1}"
%4 = linear[role=lm_head,k=8,n=100,bias=false] (%3) : [B,100] "lm_head"
"#;

fn err(text: &str) -> (usize, usize, String) {
    match text::parse(text, "g.txt") {
        Err(ModelError::Syntax {
            file,
            line,
            column,
            message,
        }) => {
            assert_eq!(file, "g.txt");
            (line, column, message)
        }
        Err(other) => panic!("expected a syntax error, got {other}"),
        Ok(_) => panic!("expected a syntax error for {text:?}"),
    }
}

#[test]
fn hand_written_graphs_parse_and_print_canonically() {
    let g = text::parse(SMALL, "small.txt").unwrap();
    assert_eq!(g.len(), 5);
    assert!(g.tied_embeddings());
    let add = g.op(OpId(3));
    assert_eq!(add.name, "we\"ird\\name\n\u{1}");
    assert_eq!(
        g.inputs(OpId(3))
            .iter()
            .map(|(p, _)| *p)
            .collect::<Vec<_>>(),
        vec![OpId(0), OpId(2)]
    );
    let printed = text::print(&g);
    assert!(printed.contains(
        "%2 = linear[role=q,k=8,n=8,bias=false] (%1) : [B*S,8] @layer0 \"layer0.attn.q_proj\""
    ));
    assert!(printed.contains(r#""we\"ird\\name\n\u{1}""#), "{printed}");
    let again = text::parse(&printed, "printed").unwrap();
    assert!(again == g);
    assert_eq!(g.to_string(), printed);
}

#[test]
fn parse_errors_name_line_column_and_expectation() {
    let line = |s: &str| {
        format!(
            "%0 = embedding[vocab=100,dim=8,positions=0,tied=false] () : [B*S,8] \"embed\"\n{s}\n"
        )
    };
    let cases: &[(&str, usize, &str)] = &[
        ("%2 = add (%0, %0) : [B*S,8] \"x\"", 1, "expected %1"),
        ("%1 = bogus (%0) : [B*S,8] \"x\"", 6, "expected an op kind"),
        (
            "%1 = rmsnorm[dimm=8] (%0) : [B*S,8] \"x\"",
            14,
            "expected an attribute of rmsnorm (dim), found 'dimm'",
        ),
        (
            "%1 = rmsnorm (%0) : [B*S,8] \"x\"",
            14,
            "rmsnorm needs attribute 'dim'",
        ),
        (
            "%1 = rmsnorm[dim=x8] (%0) : [B*S,8] \"x\"",
            18,
            "expected a non-negative integer for 'dim'",
        ),
        (
            "%1 = rmsnorm[dim=8,dim=8] (%0) : [B*S,8] \"x\"",
            20,
            "given twice",
        ),
        (
            "%1 = linear[role=qq,k=8,n=8,bias=false] (%0) : [B*S,8] \"x\"",
            18,
            "expected a linear role",
        ),
        (
            "%1 = linear[role=q,k=8,n=8,bias=yes] (%0) : [B*S,8] \"x\"",
            33,
            "expected true or false",
        ),
        (
            "%1 = add (%0, %5) : [B*S,8] \"x\"",
            15,
            "input %5 is not defined yet",
        ),
        (
            "%1 = add (%0 %0) : [B*S,8] \"x\"",
            14,
            "expected ',' or ')' in the input list, found '%'",
        ),
        (
            "%1 = add (%0) : [B*Q,8] \"x\"",
            20,
            "expected a dimension (B, S, L or an integer), found 'Q'",
        ),
        (
            "%1 = add (%0) : [B*S;8] \"x\"",
            21,
            "expected '*', ',' or ']' in the shape, found ';'",
        ),
        (
            "%1 = add (%0) : [B*S,8]",
            24,
            "expected the op name in double quotes, found the end of the line",
        ),
        ("%1 = add (%0) : [B*S,8] \"x", 27, "closing '\"'"),
        ("%1 = add (%0) : [B*S,8] \"x\\q\"", 27, "expected an escape"),
        (
            "%1 = add (%0) : [B*S,8] @lay0 \"x\"",
            26,
            "expected 'layerN'",
        ),
        (
            "%1 = add (%0) : [B*S,8] \"x\" junk",
            29,
            "expected the end of the line",
        ),
        (
            "%1 = add (%0) : [B*S,99999999999999999999] \"x\"",
            22,
            "expected an integer dimension",
        ),
        ("%1 = add (%0) [B*S,8] \"x\"", 15, "expected ':', found '['"),
        (
            "%1 = add (%0) : [B*S,8] \"embed\"",
            25,
            "duplicate op name \"embed\" (first defined on line 1)",
        ),
    ];
    for (bad, col, msg) in cases {
        let (l, c, m) = err(&line(bad));
        assert_eq!((l, c), (2, *col), "{bad}: {m}");
        assert!(m.contains(msg), "{bad}: '{m}' lacks '{msg}'");
    }
    let e = text::parse(&line("%1 = add (%0) : [B*S,8] \"x\" junk"), "g.txt").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("g.txt:2:29: expected the end of the line"),
        "{e}"
    );
}

#[test]
fn hostile_inputs_give_errors_not_panics() {
    let power = format!("%0 = add () : [{}] \"x\"", vec!["B"; 300].join("*"));
    assert!(err(&power).2.contains("at most"));
    let (_, _, m) = err("%0 = add () : [99999999999*99999999999] \"x\"");
    assert!(m.contains("overflows"), "{m}");
    let (_, _, m) = err("%99999999999 = add () : [1] \"x\"");
    assert!(m.contains("too large"), "{m}");
    assert!(text::parse("", "empty").unwrap().is_empty());
    assert!(text::parse("\u{feff}", "bom").is_err());
    let (_, _, m) = err("%0 = add () : [1] \"\\u{d800}\"");
    assert!(m.contains("\\u{HEX}"), "{m}");
}
