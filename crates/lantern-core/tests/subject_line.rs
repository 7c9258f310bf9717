//! `understand::subject_line` (what a list of cases shows, read from the
//! headers alone) gives what `understand::parse_email` gives, over every
//! e-mail and structured request the tests hold, and a few made here.

use std::path::Path;

use lantern_core::understand::{parse_email, subject_line};

fn agrees(name: &str, raw: &[u8]) {
    let full = parse_email(raw).map(|e| e.subject);
    let quick = subject_line(raw);
    match (&full, &quick) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{name}: subjects differ"),
        (Err(_), Err(_)) => {}
        _ => panic!("{name}: parse_email gave {full:?}, subject_line {quick:?}"),
    }
}

#[test]
fn the_subject_line_is_the_one_the_whole_message_gives() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut seen = 0;
    let mut with_subject = 0;
    for dir in ["email", "corpus"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let raw = std::fs::read(&path).unwrap();
            agrees(&path.display().to_string(), &raw);
            seen += 1;
            if subject_line(&raw).ok().flatten().is_some() {
                with_subject += 1;
            }
        }
    }
    assert!(seen > 100, "only {seen} files read");
    assert!(with_subject > 50, "only {with_subject} subjects found");
    let made: [(&str, &[u8]); 7] = [
        ("blank subject", b"From: a@example.org\r\nSubject:   \r\n\r\nHow many?\r\n"),
        ("no subject", b"From: a@example.org\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nHow many?\r\n"),
        ("plain", b"How many crack users were there in 2020/21?"),
        ("empty", b"   \n"),
        ("pdf", b"%PDF-1.4 ..."),
        ("not utf-8", b"How many \xff\xfe people?"),
        ("bom", b"\xEF\xBB\xBFFrom: a@example.org\r\nSubject: FOI =?utf-8?q?caf=C3=A9?=\r\n\r\nHow many?\r\n"),
    ];
    for (name, raw) in made {
        agrees(name, raw);
    }
    assert_eq!(
        subject_line(made[6].1).unwrap().as_deref(),
        Some("FOI café")
    );
}
