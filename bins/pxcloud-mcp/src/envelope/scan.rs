//! PXCloud's JSON text taken as it stands when it is already written the way serde_json
//! writes it: then the compact copy `transcode` would make is the text itself, and one scan
//! without a parser checks that and notes the top level on the way.
//!
//! "The way serde_json writes it": no whitespace between tokens (around the whole text is
//! fine), strings whose only escapes are the ones its serializer writes (`\"`, `\\`, `\b`,
//! `\f`, `\n`, `\r`, `\t`, and `\u00xx` in lower case for the other control characters),
//! and numbers as it prints them again (integers without leading zeros that fit 64 bits, not
//! `-0`; a decimal in the shortest form that reads back as the same `f64`). Anything else,
//! valid or not, is left to `transcode`, which decides it exactly: a text this scan accepts
//! is one `transcode` copies to the same bytes, so taking it as it stands changes nothing.
//!
//! PXCloud and the simulator write their answers with serde_json, so their bodies pass.

use std::borrow::Cow;

use serde_json::Number;

use super::transcode::{Kind, Member, Shape, Top};

/// Nesting the scan follows at most; deeper text is `transcode`'s to judge (its limit, that of
/// serde_json's parser, is 128 counted from the envelope).
const MAX_NESTING: usize = 100;

/// The payload of a PXCloud body as [`super::transcode::copy_payload`] finds it, borrowed from
/// the body: the value inside PXCloud's `{"code": 0, "message": …, "data": …}` wrapper, else
/// the whole body (without the whitespace around it); with what was noted about its top
/// level. `None` when the body is not written the way serde_json writes JSON (see the module
/// documentation), or when its top level repeats a key, or has a key with escapes.
pub(super) fn payload(src: &str) -> Option<(&str, Top<'_>)> {
    let bytes = src.as_bytes();
    let is_space = |b: &u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t');
    let start = bytes.iter().position(|b| !is_space(b))?;
    let end = bytes.iter().rposition(|b| !is_space(b))? + 1;
    let mut scan = Scan {
        src: &src[..end],
        bytes: &bytes[..end],
        pos: start,
        nesting: 0,
    };
    let mut top = Top::default();
    let mut data = None;
    scan.value(true, Some((&mut top, Some(&mut data))))?;
    if scan.pos != end || top.repeats_a_key() {
        return None;
    }
    match data {
        Some(data) if is_wrapper(&top) => Some(data),
        _ => Some((&src[start..end], top)),
    }
}

/// Whether a body whose `data` member was found is PXCloud's wrapper (as `transcode` says).
fn is_wrapper(top: &Top<'_>) -> bool {
    top.kind == Kind::Object
        && top.members.len() <= 3
        && matches!(top.member("code"), Some(Shape::Number(n)) if n.as_u64() == Some(0))
}

/// The `data` member of the body, borrowed, and its top level.
type Data<'a> = Option<(&'a str, Top<'a>)>;

/// What to note about a value: its top level, and (for the body) its `data` member's.
type Note<'n, 'a> = Option<(&'n mut Top<'a>, Option<&'n mut Data<'a>>)>;

struct Scan<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    nesting: usize,
}

impl<'a> Scan<'a> {
    fn next(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn eat(&mut self, expected: u8) -> Option<()> {
        (self.next()? == expected).then_some(())
    }

    /// One value of a noted level: the root, a member of a noted object (`shape`: its shape
    /// is wanted), or the body's `data`. `note`: its own top level is noted too.
    fn value(&mut self, shape: bool, note: Note<'_, 'a>) -> Option<Shape<'a>> {
        match *self.bytes.get(self.pos)? {
            b'{' => {
                match note {
                    Some((top, data)) => {
                        top.kind = Kind::Object;
                        top.members.reserve(16);
                        self.object(&mut top.members, data)?;
                    }
                    None => self.skip()?,
                }
                Some(Shape::Other)
            }
            b'[' => {
                let items = self.array()?;
                if let Some((top, _)) = note {
                    top.kind = Kind::Array;
                    top.items = items;
                }
                Some(Shape::Array(items))
            }
            b'"' => {
                self.pos += 1;
                let (text, escaped) = self.string()?;
                Some(if escaped {
                    Shape::EscapedStr
                } else {
                    Shape::Str(text)
                })
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number(shape),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<Shape<'a>> {
        let end = self.pos + word.len();
        (self.bytes.get(self.pos..end)? == word).then_some(())?;
        self.pos = end;
        Some(Shape::Other)
    }

    fn enter(&mut self) -> Option<()> {
        self.pos += 1;
        self.nesting += 1;
        (self.nesting <= MAX_NESTING).then_some(())
    }

    /// A noted object: its members and their shapes, and the `data` member's own top level
    /// when `data` asks for it.
    fn object(
        &mut self,
        members: &mut Vec<Member<'a>>,
        mut data: Option<&mut Data<'a>>,
    ) -> Option<()> {
        self.enter()?;
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            self.nesting -= 1;
            return Some(());
        }
        loop {
            self.eat(b'"')?;
            let (key, escaped) = self.string()?;
            // A noted key is compared and shown unescaped: one with escapes is left to
            // `transcode`, which unescapes it.
            if escaped {
                return None;
            }
            self.eat(b':')?;
            let start = self.pos;
            let value = match data.as_deref_mut() {
                Some(slot) if key == "data" => {
                    let mut top = Top::default();
                    let value = self.value(true, Some((&mut top, None)))?;
                    *slot = Some((self.src.get(start..self.pos)?, top));
                    value
                }
                _ => self.value(true, None)?,
            };
            members.push(Member {
                key: Cow::Borrowed(key),
                value,
            });
            match self.next()? {
                b',' => {}
                b'}' => break,
                _ => return None,
            }
        }
        self.nesting -= 1;
        Some(())
    }

    /// An array of a noted level: its items are counted.
    fn array(&mut self) -> Option<usize> {
        self.enter()?;
        let mut items = 0;
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            self.nesting -= 1;
            return Some(0);
        }
        loop {
            self.skip()?;
            items += 1;
            match self.next()? {
                b',' => {}
                b']' => break,
                _ => return None,
            }
        }
        self.nesting -= 1;
        Some(items)
    }

    /// A value below the noted levels, checked and passed over: in one loop that keeps a bit
    /// per open container (object or array) rather than a call per value.
    fn skip(&mut self) -> Option<()> {
        let mut objects: u128 = 0;
        let mut depth = 0usize;
        loop {
            // A value starts here.
            match *self.bytes.get(self.pos)? {
                open @ (b'{' | b'[') => {
                    self.enter()?;
                    depth += 1;
                    let object = open == b'{';
                    objects = (objects << 1) | u128::from(object);
                    let close = if object { b'}' } else { b']' };
                    if self.bytes.get(self.pos) != Some(&close) {
                        if object {
                            self.key()?;
                        }
                        continue;
                    }
                    self.pos += 1;
                    self.nesting -= 1;
                    depth -= 1;
                    objects >>= 1;
                }
                b'"' => {
                    self.pos += 1;
                    self.string()?;
                }
                b't' => {
                    self.literal(b"true")?;
                }
                b'f' => {
                    self.literal(b"false")?;
                }
                b'n' => {
                    self.literal(b"null")?;
                }
                _ => {
                    self.number(false)?;
                }
            }
            // After a value: the next item or member, or the end of containers.
            loop {
                if depth == 0 {
                    return Some(());
                }
                let object = objects & 1 == 1;
                match self.next()? {
                    b',' => {
                        if object {
                            self.key()?;
                        }
                        break;
                    }
                    b'}' if object => {}
                    b']' if !object => {}
                    _ => return None,
                }
                self.nesting -= 1;
                depth -= 1;
                objects >>= 1;
            }
        }
    }

    /// A member's key and its colon, below the noted levels.
    fn key(&mut self) -> Option<()> {
        self.eat(b'"')?;
        self.string()?;
        self.eat(b':')
    }

    /// A string's contents, after its opening quote: the text and whether it has escapes.
    /// Inlined: it runs for every key and string, most of them a few bytes long, where a call
    /// and setting up the word-wise test again would cost more than the scan.
    #[inline(always)]
    fn string(&mut self) -> Option<(&'a str, bool)> {
        let start = self.pos;
        let mut escaped = false;
        loop {
            self.pos += plain_prefix(self.bytes.get(self.pos..)?);
            match *self.bytes.get(self.pos)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    self.pos += canonical_escape(self.bytes.get(self.pos..)?)?;
                }
                // A control character, which JSON allows only escaped.
                _ => return None,
            }
        }
        // Both ends are ASCII quotes, so char boundaries.
        let text = self.src.get(start..self.pos)?;
        self.pos += 1;
        Some((text, escaped))
    }

    /// A number written as serde_json prints it; its value when `shape` asks for it.
    fn number(&mut self, shape: bool) -> Option<Shape<'a>> {
        let start = self.pos;
        let negative = self.bytes[start] == b'-';
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        let int_len = self.pos - int_start;
        let mut frac_len = None;
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            let frac_start = self.pos;
            self.digits();
            frac_len = Some(self.pos - frac_start);
        }
        let exponent = matches!(self.bytes.get(self.pos), Some(b'e' | b'E'));
        if exponent {
            self.pos += 1;
            if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.digits();
        }
        if self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            // A leading zero followed by more digits: not JSON.
            return None;
        }
        let token = &self.src[start..self.pos];
        let int = &self.bytes[int_start..int_start + int_len];
        match frac_len {
            // Integers up to 18 digits fit both u64 and i64; `-0` reads as the float -0.0.
            None if !exponent && int_len <= 18 && !(negative && int == b"0") => {
                if !shape {
                    return Some(Shape::Other);
                }
                let magnitude = int.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
                let number = if negative {
                    // At most 18 digits: below i64::MAX.
                    Number::from(-(magnitude as i64))
                } else {
                    Number::from(magnitude)
                };
                Some(Shape::Number(number))
            }
            Some(frac) if !exponent && frac > 0 => {
                let digits = &self.bytes[int_start..self.pos];
                match short_decimal(int, &digits[int_len + 1..]) {
                    Some(value) => Some(if shape {
                        let value = if negative { -value } else { value };
                        Number::from_f64(value).map_or(Shape::Other, Shape::Number)
                    } else {
                        Shape::Other
                    }),
                    None => exact(token),
                }
            }
            // `1.` or `1.e5`: not JSON.
            Some(0) => None,
            _ => exact(token),
        }
    }

    fn digits(&mut self) {
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
    }
}

/// Eight `1` bytes, for the byte-wise tests of [`plain_prefix`].
const ONES: u64 = u64::from_le_bytes([1; 8]);

/// The high bit of every byte that is a quote, a backslash or a control character in `word`
/// (at least the first such byte is exact; a false mark can only follow a true one).
#[inline(always)]
fn specials(word: u64) -> u64 {
    let high = ONES << 7;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & high;
    zero(word ^ (ONES * u64::from(b'"')))
        | zero(word ^ (ONES * u64::from(b'\\')))
        | (word.wrapping_sub(ONES * 0x20) & !word & high)
}

/// How many bytes at the start of `bytes` may stand in a JSON string as they are: up to the
/// first quote, backslash or control character. Looked at eight bytes at a time.
#[inline(always)]
pub(super) fn plain_prefix(bytes: &[u8]) -> usize {
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let found = specials(u64::from_le_bytes(word));
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + bytes[i..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .unwrap_or(bytes.len() - i)
}

/// The length of an escape serde_json's serializer writes as it stands (`\"`, `\\`, the
/// short forms, `\u00xx` for the other control characters); `None` for any other.
fn canonical_escape(at: &[u8]) -> Option<usize> {
    match *at.get(1)? {
        b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => Some(2),
        b'u' => {
            let hex = at.get(2..6)?;
            let low = match hex[3] {
                d @ b'0'..=b'9' => d - b'0',
                d @ b'a'..=b'f' => d - b'a' + 10,
                _ => return None,
            };
            let code = match &hex[..3] {
                b"000" => low,
                b"001" => 16 + low,
                _ => return None,
            };
            // These five have short forms, which serde_json writes instead.
            (!matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d)).then_some(6)
        }
        _ => None,
    }
}

/// `10^n` for the decimals [`short_decimal`] reads, all exact in an `f64`.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// The value of the decimal `int.frac` (no sign, no exponent, `int` without leading zeros)
/// when serde_json prints that value back as these very digits; `None` when that is not sure
/// without printing it.
///
/// With at most 15 digits in all, the digits are the significand of an `f64` exactly and the
/// division by a power of ten is one correctly rounded operation: the value is what any
/// correct parser, serde_json's included, reads. Fifteen significant digits survive the trip
/// through an `f64`, so the shortest digits that read back as this value (what serde_json's
/// printer writes) are these digits without trailing zeros, and the printer places them as
/// `int.frac` for values from 1e-5 up to 1e16: an integer gets `.0`, a value below 1 a `0.`
/// and at most four zeros before its first digit.
fn short_decimal(int: &[u8], frac: &[u8]) -> Option<f64> {
    let len = int.len() + frac.len();
    if len > 15 {
        return None;
    }
    let integral = frac.iter().all(|&d| d == b'0');
    if integral {
        // `x.0` only, zero included (`0.0`, and `-0.0` for the negative zero).
        if frac != b"0" {
            return None;
        }
    } else {
        if frac.last() == Some(&b'0') {
            return None;
        }
        if int == b"0" && frac.iter().take_while(|&&d| d == b'0').count() > 4 {
            return None;
        }
    }
    let significand = int
        .iter()
        .chain(frac)
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    Some(significand as f64 / POW10[frac.len()])
}

/// A number serde_json would print differently is left to `transcode`; otherwise its value.
/// Decided by serde_json itself: its parser reads the token, its printer writes it back.
fn exact(token: &str) -> Option<Shape<'_>> {
    let number: Number = serde_json::from_str(token).ok()?;
    let mut printed = [0u8; 40];
    let mut out = &mut printed[..];
    serde_json::to_writer(&mut out, &number).ok()?;
    let left = out.len();
    let printed = &printed[..printed.len() - left];
    (printed == token.as_bytes()).then_some(Shape::Number(number))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::envelope::transcode::copy_payload;

    /// What the scan says about `text` is what `transcode` says, when the scan says anything.
    fn agrees(text: &str) -> bool {
        let Some((payload, top)) = payload(text) else {
            return false;
        };
        let (copied, copied_top) = copy_payload(text, 1)
            .unwrap_or_else(|| panic!("the scan took what transcode refuses: {text}"));
        assert_eq!(payload, copied.get(), "{text}");
        assert_eq!(format!("{top:?}"), format!("{copied_top:?}"), "{text}");
        true
    }

    #[test]
    fn texts_written_by_serde_json_are_taken_as_they_stand() {
        for text in [
            r#"{"code":0,"message":"ok","data":{"id":"cluster1:pve1:100","vmid":100,"cpu_percent":30.0,"tags":["prod","web"],"lock":null,"template":false,"hardware":{"disks":[{"size_gb":32}]}}}"#,
            r#"{"code":0,"message":"ok","data":[{"id":"a"},{"id":"b"}]}"#,
            r#"{"items":[{"id":1}],"total":1,"page":-2,"ratio":0.25,"tiny":0.00001,"neg":-0.5}"#,
            r#"[{"id":"a"},3,"x",null,true,false,[],{},[[]]]"#,
            r#"{"s":"a\"b\\c\n\t\r\b\f\u0001\u001f","ü":"é ☃ 😀"}"#,
            r#"{"max":18446744073709551615,"min":-9223372036854775808,"f":1e-7,"g":1.5e+20,"z":-0.0,"o":0.0,"l":1234567890123456789}"#,
            " \n{\"a\":1}\r\n\t",
            r#"{"code":0,"data":{"code":0,"data":2}}"#,
            r#"{"code":0,"message":"ok","data":{},"x":1}"#,
            r#"{"data":[1],"code":0}"#,
            r#"{"a":{"x":1,"x":2}}"#,
            r#"{"code":0,"data":"text"}"#,
            r#""top-level string""#,
            "12",
            "-3.5",
            "null",
        ] {
            assert!(agrees(text), "not taken as it stands: {text}");
        }
        // Whatever the wrapper holds, it is copied as it stands.
        let (payload, _) = payload(r#"{"code":0,"message":"ok","data":{"a":[1]}}"#).unwrap();
        assert_eq!(payload, r#"{"a":[1]}"#);
    }

    #[test]
    fn anything_else_is_left_to_transcode() {
        for text in [
            // Valid, written otherwise.
            r#"{"a": 1}"#,
            "[1, 2]",
            r#"{"a":"\/"}"#,
            r#"{"a":"\u00e9"}"#,
            r#"{"a":"\u000a"}"#,
            r#"{"a":"\u001F"}"#,
            r#"{"a":1.50}"#,
            r#"{"a":01}"#,
            r#"{"a":-0}"#,
            r#"{"a":1E3}"#,
            r#"{"a":1e+3}"#,
            r#"{"a":0.000001}"#,
            r#"{"a":100.00}"#,
            r#"{"a":18446744073709551616}"#,
            r#"{"k\u0065y":1}"#,
            // Repeated top-level keys.
            r#"{"a":1,"a":2}"#,
            r#"{"code":0,"data":1,"data":2}"#,
            // Not JSON.
            "",
            " ",
            "{",
            "[1,]",
            r#"{"a":1,}"#,
            r#"{"a":1}x"#,
            "[tru]",
            "[1.]",
            "[.5]",
            "[1e]",
            "[-]",
            "{\"a\":\"\u{1}\"}",
            "\u{c}{}",
            r#"{"a":"\x"}"#,
        ] {
            assert!(payload(text).is_none(), "taken as it stands: {text}");
        }
        let deep = format!("{}{}", "[".repeat(101), "]".repeat(101));
        assert!(payload(&deep).is_none());
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(agrees(&deep));
    }

    /// Numbers of every shape: the scan takes one only as serde_json prints it, with the
    /// value serde_json reads.
    /// A small deterministic generator: the same numbers on every run.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }

        fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }

        fn digits(&mut self, n: u64) -> String {
            (0..n)
                .map(|_| char::from(b'0' + self.below(10) as u8))
                .collect()
        }
    }

    /// Numbers of every shape: the scan takes one only as serde_json prints it, with the
    /// value serde_json reads.
    #[test]
    fn numbers_agree_with_serde_json() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut taken = 0;
        for _ in 0..20_000 {
            let mut number = String::new();
            if rng.chance(30) {
                number.push('-');
            }
            // Short integer parts and trailing zeros are frequent, as in real answers.
            let most = if rng.chance(50) { 3 } else { 20 };
            let int_len = 1 + rng.below(most);
            number.push_str(&rng.digits(int_len));
            if rng.chance(60) {
                number.push('.');
                let most = if rng.chance(50) { 3 } else { 17 };
                let frac_len = 1 + rng.below(most);
                number.push_str(&rng.digits(frac_len));
                if rng.chance(10) {
                    number.push('0');
                }
            }
            if rng.chance(10) {
                number.push_str(["e", "E", "e-", "e+"][rng.below(4) as usize]);
                let exp_len = 1 + rng.below(3);
                number.push_str(&rng.digits(exp_len));
            }
            let text = format!(r#"{{"n":{number},"m":[{number}]}}"#);
            let valid = serde_json::from_str::<Value>(&text).is_ok();
            if agrees(&text) {
                taken += 1;
                assert!(valid, "{text}");
            }
        }
        // Short decimals and integers, as PXCloud writes them, are the common case.
        for text in [
            "0.1",
            "12.5",
            "-3.25",
            "100.0",
            "0.0001",
            "123456789012.345",
        ] {
            let body = format!(r#"{{"n":{text}}}"#);
            assert!(agrees(&body), "{body}");
            let (_, top) = payload(&body).unwrap();
            assert!(matches!(top.members[0].value, Shape::Number(_)), "{body}");
        }
        assert!(taken > 1000, "only {taken} taken");
    }

    #[test]
    fn plain_prefix_stops_at_the_first_byte_to_escape() {
        let mut rng = Rng(7);
        let pool = [
            b'a', b'"', b'\\', 0x00, 0x1f, 0x20, 0x7f, 0x80, 0xff, b'!', 0x21, 0x5b,
        ];
        for _ in 0..20_000 {
            let len = rng.below(24) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.chance(80) {
                        b'a' + rng.below(26) as u8
                    } else {
                        pool[rng.below(pool.len() as u64) as usize]
                    }
                })
                .collect();
            let naive = bytes
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(len);
            assert_eq!(plain_prefix(&bytes), naive, "{bytes:?}");
        }
    }

    #[test]
    fn escapes_agree_with_serde_json() {
        for code in 0u32..0x80 {
            let c = char::from_u32(code).unwrap();
            let written = Value::String(c.to_string()).to_string();
            let text = format!("[{written}]");
            assert!(agrees(&text), "{text}");
            for other in [format!("\\u{code:04x}"), format!("\\u{code:04X}")] {
                let text = format!("[\"{other}\"]");
                if other != written.trim_matches('"') {
                    assert!(payload(&text).is_none(), "{text}");
                }
            }
        }
    }
}
