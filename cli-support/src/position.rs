//! Where a byte offset of an input file is, for errors that name the line
//! (and column) as the command-line tools promise: the loadgen's scenarios
//! file and the verifier's spec both get offsets from `toml`'s spans.

/// A 1-based line and column (in characters) of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextPosition {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in characters (not bytes) from the line's start.
    pub column: usize,
}

/// The position of byte `offset` in `text`; an offset past the end is the
/// end, one inside a multi-byte character counts that character's bytes.
pub fn position(text: &str, offset: usize) -> TextPosition {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let tail = &before[line_start..];
    let column = match std::str::from_utf8(tail) {
        Ok(s) => s.chars().count(),
        Err(_) => tail.len(),
    };
    TextPosition {
        line: before.iter().filter(|&&b| b == b'\n').count() + 1,
        column: column + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based_and_count_characters() {
        let text = "a = 1\nname = \"é x\"\n";
        assert_eq!(position(text, 0), TextPosition { line: 1, column: 1 });
        assert_eq!(position(text, 5), TextPosition { line: 1, column: 6 });
        assert_eq!(position(text, 6), TextPosition { line: 2, column: 1 });
        // After "name = \"é " (é is two bytes): the 11th character.
        let x = text.find('x').unwrap();
        assert_eq!(
            position(text, x),
            TextPosition {
                line: 2,
                column: 11
            }
        );
        // Past the end: the end.
        assert_eq!(position(text, 1000), TextPosition { line: 3, column: 1 });
    }
}
