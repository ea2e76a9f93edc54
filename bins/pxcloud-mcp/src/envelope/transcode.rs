//! PXCloud's JSON text written out again, compactly, while it is read: no value tree is
//! built, and what the summary and hints need about the top level is noted on the way.
//!
//! The copy is what serialising the `serde_json::Value` of the same text would write (the
//! same parser reads it, the same serializer writes it: escapes, numbers and whitespace come
//! out the same), and it fails where building that value fails, nesting depth included. The
//! one difference: an object that repeats a key keeps every copy, where a value keeps the
//! last; the caller falls back to the value for a top level that repeats a key.
//!
//! The body's top-level `data` member is also copied on its own, in the same pass, so the
//! payload inside PXCloud's `{"code": 0, "message": …, "data": …}` wrapper is at hand
//! without reading the body twice.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Number;
use serde_json::value::RawValue;

/// The deepest nesting `serde_json` accepts when it builds a value (its recursion limit).
const MAX_DEPTH: usize = 127;

/// The payload of a PXCloud body, copied: the value inside PXCloud's `{"code": 0,
/// "message": …, "data": …}` wrapper (an object of at most three members, `code` 0, and
/// `data`), else the whole body, as `unwrap_pxcloud` finds it; with what was noted about
/// its top level. `depth` is how deep the payload will sit (see [`copy`]). `None` when the
/// body is not JSON a value can be built from, or when its top level repeats a key (a value
/// keeps one of them, which may change what the wrapper is).
pub(super) fn copy_payload(src: &str, depth: usize) -> Option<(Box<RawValue>, Top<'_>)> {
    // PXCloud writes its wrapper in this order: the body itself need not be kept then.
    if src.starts_with(r#"{"code":0,"#) {
        let copied = copy(src, depth, false)?;
        if copied.top.repeats_a_key() {
            return None;
        }
        if copied.is_wrapper() {
            return copied.data;
        }
        // Not the wrapper after all: copy again, keeping the body.
    }
    let copied = copy(src, depth, true)?;
    if copied.top.repeats_a_key() {
        return None;
    }
    match copied.data {
        Some(data) if copied.is_wrapper() => Some(data),
        _ => Some((copied.body?, copied.top)),
    }
}

/// A body copied, with its top-level `data` member copied on its own.
#[derive(Debug)]
pub(super) struct Copied<'de> {
    /// The whole body, when kept.
    pub(super) body: Option<Box<RawValue>>,
    /// The body's top level.
    pub(super) top: Top<'de>,
    /// The value of the body's top-level member `data` (the last, if it repeats) and its
    /// top level.
    pub(super) data: Option<(Box<RawValue>, Top<'de>)>,
}

impl Copied<'_> {
    /// Whether the body is PXCloud's wrapper (its key repeats are the caller's to check).
    fn is_wrapper(&self) -> bool {
        self.data.is_some()
            && self.top.kind == Kind::Object
            && self.top.members.len() <= 3
            && matches!(self.top.member("code"), Some(Shape::Number(n)) if n.as_u64() == Some(0))
    }
}

/// What the envelope reads of the copied value's top level.
#[derive(Debug, Default)]
pub(super) struct Top<'de> {
    /// Whether the value is an object, an array, or something else.
    pub(super) kind: Kind,
    /// The items of a top-level array.
    pub(super) items: usize,
    /// The members of a top-level object, in order (a repeated key appears twice).
    pub(super) members: Vec<Member<'de>>,
}

impl Top<'_> {
    /// The value of the first member named `key`.
    pub(super) fn member(&self, key: &str) -> Option<&Shape<'_>> {
        self.members.iter().find(|m| m.key == key).map(|m| &m.value)
    }

    /// Whether the object has a key twice.
    pub(super) fn repeats_a_key(&self) -> bool {
        let members = &self.members;
        // Up to 32 keys, without a copy of them: each key's word (its length and some of its
        // bytes) marks one of 1024 bits; keys whose bits all differ differ, and only when a
        // bit is marked twice are the keys compared, each with each.
        if members.len() <= 32 {
            let mut marks = [0u64; 16];
            let mut alike = false;
            for m in members {
                let bit =
                    (key_word(m.key.as_bytes()).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 54) as usize;
                let (word, mask) = (bit / 64, 1u64 << (bit % 64));
                alike |= marks[word] & mask != 0;
                marks[word] |= mask;
            }
            return alike
                && members
                    .iter()
                    .enumerate()
                    .any(|(i, m)| members[i + 1..].iter().any(|n| n.key == m.key));
        }
        let mut keys: Vec<&str> = members.iter().map(|m| m.key.as_ref()).collect();
        keys.sort_unstable();
        keys.windows(2).any(|w| w[0] == w[1])
    }
}

/// A key's length and its first four and last two bytes in one word: keys whose words differ
/// differ (so do keys whose bits, taken from the word, differ).
fn key_word(key: &[u8]) -> u64 {
    let mut head = [0u8; 4];
    let n = key.len().min(4);
    head[..n].copy_from_slice(&key[..n]);
    let tail = match key {
        [.., a, b] => u16::from_le_bytes([*a, *b]),
        _ => 0,
    };
    ((key.len() as u64 & 0xffff) << 48)
        | (u64::from(u32::from_le_bytes(head)) << 16)
        | u64::from(tail)
}

/// The kind of the top-level value.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// An object.
    Object,
    /// An array.
    Array,
    /// Anything else.
    #[default]
    Scalar,
}

/// One member of a top-level object.
#[derive(Debug)]
pub(super) struct Member<'de> {
    /// Its key, unescaped.
    pub(super) key: Cow<'de, str>,
    /// What its value is, as far as the summary and hints care.
    pub(super) value: Shape<'de>,
}

/// A member's value, as far as the summary and hints care.
#[derive(Debug)]
pub(super) enum Shape<'de> {
    /// An array of so many items.
    Array(usize),
    /// A number.
    Number(Number),
    /// A string without escapes, borrowed from the text.
    Str(&'de str),
    /// A string with escapes (not kept: reading it would need a copy).
    EscapedStr,
    /// An object, a boolean or null.
    Other,
}

/// Copies the JSON text `src` compactly (the copy is dropped unless `keep_body`; the
/// `data` member's is kept). `depth` is how deep `src` sits in the JSON it ends up in, so
/// the depth limit counts from that top as a value parse of it would. `None` when `src` is
/// not JSON a value can be built from.
pub(super) fn copy(src: &str, depth: usize, keep_body: bool) -> Option<Copied<'_>> {
    let top = RefCell::new(Top {
        members: Vec::with_capacity(8),
        ..Top::default()
    });
    let data = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(src);
    let copy = Transcoder {
        de: Cell::new(Some(&mut de)),
        at: At {
            depth,
            root: Some(&top),
            member_of: None,
            data: Some(&data),
        },
    };
    let body = if keep_body {
        Some(serde_json::value::to_raw_value(&copy).ok()?)
    } else {
        copy.serialize(&mut serde_json::Serializer::new(std::io::sink()))
            .ok()?;
        None
    };
    de.end().ok()?;
    Some(Copied {
        body,
        top: top.into_inner(),
        data: data.into_inner(),
    })
}

/// The copy of a `data` member, kept on its own.
type DataSlot<'de> = RefCell<Option<(Box<RawValue>, Top<'de>)>>;

/// Where a value sits: its depth and what to note about it.
#[derive(Clone, Copy)]
struct At<'p, 'de> {
    depth: usize,
    /// The value is this top level's: note its kind (and members).
    root: Option<&'p RefCell<Top<'de>>>,
    /// The value is the last member noted in this top level: note its shape.
    member_of: Option<&'p RefCell<Top<'de>>>,
    /// The value is the body: copy its member `data` on its own into this slot too.
    data: Option<&'p DataSlot<'de>>,
}

impl<'de> At<'_, 'de> {
    /// Deeper values: nothing to note.
    fn below(self) -> Self {
        At {
            depth: self.depth + 1,
            root: None,
            member_of: None,
            data: None,
        }
    }

    fn member(self, shape: impl FnOnce() -> Shape<'de>) {
        if let Some(top) = self.member_of
            && let Some(member) = top.borrow_mut().members.last_mut()
        {
            member.value = shape();
        }
    }
}

/// Serialises what the deserializer reads (once: the deserializer is taken).
struct Transcoder<'p, 'de, D> {
    de: Cell<Option<D>>,
    at: At<'p, 'de>,
}

impl<'de, D: Deserializer<'de>> Serialize for Transcoder<'_, 'de, D> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let de = self
            .de
            .take()
            .ok_or_else(|| ser::Error::custom("value copied twice"))?;
        de.deserialize_any(CopyVisitor {
            out: serializer,
            at: self.at,
        })
        .map_err(ser::Error::custom)
    }
}

struct CopyVisitor<'p, 'de, S> {
    out: S,
    at: At<'p, 'de>,
}

fn de_err<E: de::Error>(e: impl fmt::Display) -> E {
    E::custom(e)
}

impl<'de, S: Serializer> Visitor<'de> for CopyVisitor<'_, 'de, S> {
    type Value = S::Ok;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<S::Ok, E> {
        self.out.serialize_bool(v).map_err(de_err)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<S::Ok, E> {
        self.at.member(|| Shape::Number(v.into()));
        self.out.serialize_i64(v).map_err(de_err)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<S::Ok, E> {
        self.at.member(|| Shape::Number(v.into()));
        self.out.serialize_u64(v).map_err(de_err)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<S::Ok, E> {
        self.at
            .member(|| Number::from_f64(v).map_or(Shape::Other, Shape::Number));
        self.out.serialize_f64(v).map_err(de_err)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<S::Ok, E> {
        self.at.member(|| Shape::Str(v));
        self.out.serialize_str(v).map_err(de_err)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<S::Ok, E> {
        self.at.member(|| Shape::EscapedStr);
        self.out.serialize_str(v).map_err(de_err)
    }

    fn visit_unit<E: de::Error>(self) -> Result<S::Ok, E> {
        self.out.serialize_unit().map_err(de_err)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<S::Ok, A::Error> {
        let inner = self.at.below();
        if inner.depth > MAX_DEPTH {
            return Err(de::Error::custom("nested too deep"));
        }
        let mut out = self.out.serialize_seq(None).map_err(de_err)?;
        let mut items = 0;
        while seq
            .next_element_seed(Element {
                out: &mut out,
                at: inner,
            })?
            .is_some()
        {
            items += 1;
        }
        if let Some(top) = self.at.root {
            let mut top = top.borrow_mut();
            top.kind = Kind::Array;
            top.items = items;
        }
        self.at.member(|| Shape::Array(items));
        out.end().map_err(de_err)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<S::Ok, A::Error> {
        let below = self.at.below();
        if below.depth > MAX_DEPTH {
            return Err(de::Error::custom("nested too deep"));
        }
        if let Some(top) = self.at.root {
            top.borrow_mut().kind = Kind::Object;
        }
        let inner = At {
            member_of: self.at.root,
            ..below
        };
        let mut out = self.out.serialize_map(None).map_err(de_err)?;
        while let Some(key) = map.next_key_seed(Key)? {
            out.serialize_key(&*key).map_err(de_err)?;
            let split = self.at.data.filter(|_| key == "data");
            if let Some(top) = self.at.root {
                top.borrow_mut().members.push(Member {
                    key,
                    value: Shape::Other,
                });
            }
            match split {
                Some(slot) => map.next_value_seed(Split {
                    out: &mut out,
                    at: inner,
                    slot,
                })?,
                None => map.next_value_seed(Entry {
                    out: &mut out,
                    at: inner,
                })?,
            }
        }
        out.end().map_err(de_err)
    }
}

/// One array item, copied into the array being written.
struct Element<'a, 'p, 'de, Q> {
    out: &'a mut Q,
    at: At<'p, 'de>,
}

impl<'de, Q: SerializeSeq> DeserializeSeed<'de> for Element<'_, '_, 'de, Q> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        self.out
            .serialize_element(&Transcoder {
                de: Cell::new(Some(de)),
                at: self.at,
            })
            .map_err(de_err)
    }
}

/// One member's value, copied into the object being written.
struct Entry<'a, 'p, 'de, Q> {
    out: &'a mut Q,
    at: At<'p, 'de>,
}

impl<'de, Q: SerializeMap> DeserializeSeed<'de> for Entry<'_, '_, 'de, Q> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        self.out
            .serialize_value(&Transcoder {
                de: Cell::new(Some(de)),
                at: self.at,
            })
            .map_err(de_err)
    }
}

/// The body's `data` member: copied on its own, then into the body.
struct Split<'a, 'p, 'de, Q> {
    out: &'a mut Q,
    at: At<'p, 'de>,
    slot: &'p DataSlot<'de>,
}

impl<'de, Q: SerializeMap> DeserializeSeed<'de> for Split<'_, '_, 'de, Q> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        let top = RefCell::new(Top {
            members: Vec::with_capacity(16),
            ..Top::default()
        });
        let copy = serde_json::value::to_raw_value(&Transcoder {
            de: Cell::new(Some(de)),
            at: At {
                root: Some(&top),
                ..self.at
            },
        })
        .map_err(de_err)?;
        self.out.serialize_value(&*copy).map_err(de_err)?;
        *self.slot.borrow_mut() = Some((copy, top.into_inner()));
        Ok(())
    }
}

/// A member's key: borrowed from the text unless it has escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Cow<'de, str>, D::Error> {
        de.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    #[test]
    fn the_copy_is_what_the_value_writes() {
        for text in [
            r#"{"a":1}"#,
            r#" { "b" : [ 1 , -2 , 3.5e3 , 1E-7, -0, 0.1, 18446744073709551615, 18446744073709551616 ] , "a" : null } "#,
            r#"["\u00e9\ud83d\ude00\n\"\\\/\t\u0001", "plain", true, false, null, {}, []]"#,
            r#"{"nested":{"deep":[[[{"x":"y"}]]]},"id":"vm-1","count":3}"#,
            r#"{"code" : 0, "data" : { "a" : [ 1, 2 ] }, "message" : "ok"}"#,
        ] {
            let value: Value = serde_json::from_str(text).unwrap();
            let copied = copy(text, 0, true).expect("copied");
            assert_eq!(copied.body.unwrap().get(), value.to_string(), "{text}");
            if let Some((data, _)) = &copied.data {
                assert_eq!(data.get(), value["data"].to_string(), "{text}");
            }
        }
    }

    #[test]
    fn the_top_level_is_noted() {
        let text = r#"{"id":"a","n":-3,"items":[1,{"x":[2]}],"s":"x\ty","o":{"id":"inner"},"b":true,"data":[{"id":1}]}"#;
        let copied = copy(text, 0, true).unwrap();
        assert_eq!(copied.top.kind, Kind::Object);
        let shapes: Vec<String> = copied
            .top
            .members
            .iter()
            .map(|m| format!("{}={:?}", m.key, m.value))
            .collect();
        assert_eq!(
            shapes,
            [
                r#"id=Str("a")"#,
                "n=Number(Number(-3))",
                "items=Array(2)",
                "s=EscapedStr",
                "o=Other",
                "b=Other",
                "data=Array(1)",
            ]
        );
        let (data, top) = copied.data.expect("data copied on its own");
        assert_eq!(data.get(), r#"[{"id":1}]"#);
        assert_eq!((top.kind, top.items), (Kind::Array, 1));
        let copied = copy("[1,[2,3],{}]", 0, true).unwrap();
        assert_eq!((copied.top.kind, copied.top.items), (Kind::Array, 3));
        assert!(copied.top.members.is_empty());
        assert!(copied.data.is_none());
        // Only the body's own `data` member is copied on its own.
        assert!(
            copy(r#"{"a":{"data":[1]}}"#, 0, false)
                .unwrap()
                .data
                .is_none()
        );
        assert!(copy(r#"[{"data":[1]}]"#, 0, false).unwrap().data.is_none());
    }

    #[test]
    fn what_the_value_parse_refuses_the_copy_refuses() {
        for text in [
            "",
            "[1,]",
            "{\"a\":1} x",
            "[1e400]",
            "\"\\x\"",
            "[\"\u{1}\"]",
            "{\"a\" 1}",
            "{\"code\":0,\"data\":[1e400]}",
        ] {
            assert!(serde_json::from_str::<Value>(text).is_err(), "{text}");
            assert!(copy(text, 0, true).is_none(), "{text}");
            assert!(copy_payload(text, 0).is_none(), "{text}");
        }
        // The depth limit, counted from the top, inside the wrapper too.
        for depth in [125, 126, 127, 128] {
            let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let parsed = serde_json::from_str::<Value>(&text).is_ok();
            assert_eq!(copy(&text, 0, true).is_some(), parsed, "{depth}");
            let nested = format!("[{text}]");
            let parsed = serde_json::from_str::<Value>(&nested).is_ok();
            assert_eq!(
                copy(&text, 1, false).is_some(),
                parsed,
                "one level down {depth}"
            );
            let wrapped = format!(r#"{{"code":0,"data":{text}}}"#);
            let parsed = serde_json::from_str::<Value>(&wrapped).is_ok();
            assert_eq!(
                copy_payload(&wrapped, 0).is_some(),
                parsed,
                "wrapped {depth}"
            );
        }
    }

    #[test]
    fn repeated_keys_are_found_among_many() {
        let top = |keys: &[String]| Top {
            kind: Kind::Object,
            items: 0,
            members: keys
                .iter()
                .map(|k| Member {
                    key: Cow::Owned(k.clone()),
                    value: Shape::Other,
                })
                .collect(),
        };
        for count in [0, 1, 2, 5, 31, 32, 33, 64, 200] {
            let keys: Vec<String> = (0..count).map(|i| format!("k{i}")).collect();
            assert!(!top(&keys).repeats_a_key(), "{count}");
            for (i, j) in [(0, 1), (0, count.max(1) - 1), (count / 2, count / 3)] {
                if i >= count || j >= count || i == j {
                    continue;
                }
                let mut keys = keys.clone();
                keys[j] = keys[i].clone();
                assert!(top(&keys).repeats_a_key(), "{count} {i} {j}");
            }
        }
        let empty = [String::new(), String::new()];
        assert!(top(&empty).repeats_a_key());
        // Alike in length, head and tail, yet different.
        let alike = [
            "abcdXYef".to_owned(),
            "abcdZWef".to_owned(),
            "abcd".to_owned(),
        ];
        assert!(!top(&alike).repeats_a_key());
        let mut twice = alike.to_vec();
        twice.push("abcdZWef".to_owned());
        assert!(top(&twice).repeats_a_key());
    }

    #[test]
    fn the_payload_is_inside_the_wrapper_only() {
        for body in [
            r#"{"code":0,"data":1,"data":2}"#,
            r#"{"code":0,"code":0,"data":1}"#,
            r#"{"data":1,"code":0,"data":2}"#,
        ] {
            assert!(copy_payload(body, 0).is_none(), "{body}");
        }
        let payload = |body: &str| copy_payload(body, 0).unwrap().0.get().to_owned();
        for (body, expected) in [
            (
                r#"{"code":0,"message":"ok","data":{"a": [1]}}"#,
                r#"{"a":[1]}"#,
            ),
            (r#" {"data":[1],"c\u006fde":0} "#, "[1]"),
            (
                r#"{"code":0,"data":{"code":0,"data":2}}"#,
                r#"{"code":0,"data":2}"#,
            ),
            (
                r#"{"code":1,"message":"ok","data":{}}"#,
                r#"{"code":1,"message":"ok","data":{}}"#,
            ),
            (r#"{"code":0.0,"data":{}}"#, r#"{"code":0.0,"data":{}}"#),
            (r#"{"code":-0,"data":{}}"#, r#"{"code":-0.0,"data":{}}"#),
            (r#"{"code":"0","data":{}}"#, r#"{"code":"0","data":{}}"#),
            (
                r#"{"code":0,"message":"ok"}"#,
                r#"{"code":0,"message":"ok"}"#,
            ),
            (
                r#"{"code":0,"message":"ok","data":{},"x":1}"#,
                r#"{"code":0,"message":"ok","data":{},"x":1}"#,
            ),
            (r#"[{"code":0,"data":{}}]"#, r#"[{"code":0,"data":{}}]"#),
        ] {
            let value: Value = serde_json::from_str(body).unwrap();
            assert_eq!(payload(body), expected, "{body}");
            assert_eq!(
                payload(body),
                crate::envelope::unwrap_pxcloud(value).to_string(),
                "{body}"
            );
        }
    }
}
