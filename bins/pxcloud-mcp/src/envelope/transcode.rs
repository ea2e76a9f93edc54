//! PXCloud's JSON text written out again, compactly, while it is read: no value tree is
//! built, and what the summary and hints need about the top level is noted on the way.
//!
//! The copy is what serialising the `serde_json::Value` of the same text would write (the
//! same parser reads it, the same serializer writes it: escapes, numbers and whitespace come
//! out the same), and it fails where building that value fails, nesting depth included. The
//! one difference: an object that repeats a key keeps every copy, where a value keeps the
//! last; the caller falls back to the value for a top level that repeats a key.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Number;
use serde_json::value::RawValue;

/// The deepest nesting `serde_json` accepts when it builds a value (its recursion limit).
const MAX_DEPTH: usize = 127;

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
        if self.members.len() < 2 {
            return false;
        }
        let mut keys: Vec<&str> = self.members.iter().map(|m| m.key.as_ref()).collect();
        keys.sort_unstable();
        keys.windows(2).any(|w| w[0] == w[1])
    }
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

/// Copies the JSON text `src` compactly. `depth` is how deep `src` sits in the body it comes
/// from (1 inside PXCloud's wrapper), so the depth limit counts from the body's top as the
/// value parse does. `None` when `src` is not JSON a value can be built from.
pub(super) fn copy<'de>(src: &'de str, depth: usize) -> Option<(Box<RawValue>, Top<'de>)> {
    let top = RefCell::new(Top::default());
    let mut de = serde_json::Deserializer::from_str(src);
    let raw = serde_json::value::to_raw_value(&Copy {
        de: Cell::new(Some(&mut de)),
        at: At {
            depth,
            note: Note::Root(&top),
        },
    })
    .ok()?;
    de.end().ok()?;
    Some((raw, top.into_inner()))
}

/// Where a value sits: its depth and what to note about it.
#[derive(Clone, Copy)]
struct At<'p, 'de> {
    depth: usize,
    note: Note<'p, 'de>,
}

#[derive(Clone, Copy)]
enum Note<'p, 'de> {
    /// The top-level value.
    Root(&'p RefCell<Top<'de>>),
    /// The value of the last member noted in the top-level object.
    Member(&'p RefCell<Top<'de>>),
    /// Deeper values: nothing to note.
    Nothing,
}

impl<'de> Note<'_, 'de> {
    fn member(self, shape: impl FnOnce() -> Shape<'de>) {
        if let Note::Member(top) = self
            && let Some(member) = top.borrow_mut().members.last_mut()
        {
            member.value = shape();
        }
    }
}

/// Serialises what the deserializer reads (once: the deserializer is taken).
struct Copy<'p, 'de, D> {
    de: Cell<Option<D>>,
    at: At<'p, 'de>,
}

impl<'de, D: Deserializer<'de>> Serialize for Copy<'_, 'de, D> {
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
        self.at.note.member(|| Shape::Number(v.into()));
        self.out.serialize_i64(v).map_err(de_err)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<S::Ok, E> {
        self.at.note.member(|| Shape::Number(v.into()));
        self.out.serialize_u64(v).map_err(de_err)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<S::Ok, E> {
        self.at
            .note
            .member(|| Number::from_f64(v).map_or(Shape::Other, Shape::Number));
        self.out.serialize_f64(v).map_err(de_err)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<S::Ok, E> {
        self.at.note.member(|| Shape::Str(v));
        self.out.serialize_str(v).map_err(de_err)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<S::Ok, E> {
        self.at.note.member(|| Shape::EscapedStr);
        self.out.serialize_str(v).map_err(de_err)
    }

    fn visit_unit<E: de::Error>(self) -> Result<S::Ok, E> {
        self.out.serialize_unit().map_err(de_err)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<S::Ok, A::Error> {
        let depth = self.at.depth + 1;
        if depth > MAX_DEPTH {
            return Err(de::Error::custom("nested too deep"));
        }
        let inner = At {
            depth,
            note: Note::Nothing,
        };
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
        match self.at.note {
            Note::Root(top) => {
                let mut top = top.borrow_mut();
                top.kind = Kind::Array;
                top.items = items;
            }
            note => note.member(|| Shape::Array(items)),
        }
        out.end().map_err(de_err)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<S::Ok, A::Error> {
        let depth = self.at.depth + 1;
        if depth > MAX_DEPTH {
            return Err(de::Error::custom("nested too deep"));
        }
        let root = match self.at.note {
            Note::Root(top) => {
                top.borrow_mut().kind = Kind::Object;
                Some(top)
            }
            _ => None,
        };
        let inner = At {
            depth,
            note: root.map_or(Note::Nothing, Note::Member),
        };
        let mut out = self.out.serialize_map(None).map_err(de_err)?;
        while let Some(key) = map.next_key_seed(Key)? {
            out.serialize_key(&*key).map_err(de_err)?;
            if let Some(top) = root {
                top.borrow_mut().members.push(Member {
                    key,
                    value: Shape::Other,
                });
            }
            map.next_value_seed(Entry {
                out: &mut out,
                at: inner,
            })?;
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
            .serialize_element(&Copy {
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
            .serialize_value(&Copy {
                de: Cell::new(Some(de)),
                at: self.at,
            })
            .map_err(de_err)
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

/// What the body's top level says about PXCloud's `{"code": 0, "message": …, "data": …}`
/// wrapper.
#[derive(Debug, Clone, Copy)]
pub(super) enum Peek<'a> {
    /// The wrapper: its payload, left as text.
    Wrapped(&'a RawValue),
    /// Not the wrapper (not an object of at most three members with `code` 0 and `data`),
    /// or not JSON: the whole body is the payload.
    Plain,
    /// A wrapper-sized object that repeats a key or nests `message`: for the value parse to
    /// decide.
    Unsure,
}

/// Reads the body's top level only (the payload is not copied) to find the wrapper.
pub(super) fn peek_wrapper(body: &[u8]) -> Peek<'_> {
    let unsure = Cell::new(false);
    let mut de = serde_json::Deserializer::from_slice(body);
    match de.deserialize_map(Wrapper { unsure: &unsure }) {
        Ok(peek) if de.end().is_ok() => peek,
        Err(_) if unsure.get() => Peek::Unsure,
        // Not JSON (copying the body then fails the same way), not an object, or more
        // members than the wrapper has.
        _ => Peek::Plain,
    }
}

struct Wrapper<'a> {
    /// Set when the look stops at a repeated key.
    unsure: &'a Cell<bool>,
}

impl<'de> Visitor<'de> for Wrapper<'_> {
    type Value = Peek<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen: [Option<Cow<'de, str>>; 3] = [None, None, None];
        let mut code_zero = false;
        let mut nested = false;
        let mut data = None;
        for slot in 0..=seen.len() {
            let Some(key) = map.next_key_seed(Key)? else {
                break;
            };
            if slot == seen.len() {
                return Err(de::Error::custom("more members than the wrapper has"));
            }
            if seen.iter().flatten().any(|k| *k == key) {
                self.unsure.set(true);
                return Err(de::Error::custom("a repeated key"));
            }
            let value: &'de RawValue = map.next_value()?;
            match &*key {
                "data" => data = Some(value),
                "code" => code_zero = value.get() == "0",
                _ => nested |= value.get().starts_with(['{', '[']),
            }
            if let Some(s) = seen.get_mut(slot) {
                *s = Some(key);
            }
        }
        Ok(match data {
            Some(_) if code_zero && nested => Peek::Unsure,
            Some(data) if code_zero => Peek::Wrapped(data),
            _ => Peek::Plain,
        })
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
        ] {
            let value: Value = serde_json::from_str(text).unwrap();
            let (raw, _) = copy(text, 0).expect("copied");
            assert_eq!(raw.get(), value.to_string(), "{text}");
        }
    }

    #[test]
    fn the_top_level_is_noted() {
        let text =
            r#"{"id":"a","n":-3,"items":[1,{"x":[2]}],"s":"x\ty","o":{"id":"inner"},"b":true}"#;
        let (_, top) = copy(text, 0).unwrap();
        assert_eq!(top.kind, Kind::Object);
        let shapes: Vec<String> = top
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
                "b=Other"
            ]
        );
        let (_, top) = copy("[1,[2,3],{}]", 0).unwrap();
        assert_eq!((top.kind, top.items), (Kind::Array, 3));
        assert!(top.members.is_empty());
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
        ] {
            assert!(serde_json::from_str::<Value>(text).is_err(), "{text}");
            assert!(copy(text, 0).is_none(), "{text}");
        }
        // The depth limit, counted from the body's top.
        for depth in [126, 127, 128] {
            let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let parsed = serde_json::from_str::<Value>(&text).is_ok();
            assert_eq!(copy(&text, 0).is_some(), parsed, "{depth}");
            let wrapped = format!(r#"{{"code":0,"data":{text}}}"#);
            let parsed = serde_json::from_str::<Value>(&wrapped).is_ok();
            assert_eq!(copy(&text, 1).is_some(), parsed, "wrapped {depth}");
        }
    }

    #[test]
    fn the_wrapper_is_found_from_the_top_level() {
        let peek = |body: &str| match peek_wrapper(body.as_bytes()) {
            Peek::Wrapped(d) => d.get().to_owned(),
            Peek::Plain => "plain".to_owned(),
            Peek::Unsure => "unsure".to_owned(),
        };
        for (body, expected) in [
            (
                r#"{"code":0,"message":"ok","data":{"a": [1]}}"#,
                r#"{"a": [1]}"#,
            ),
            (r#" {"data":[1],"c\u006fde":0} "#, "[1]"),
            (r#"{"code":1,"message":"ok","data":{}}"#, "plain"),
            (r#"{"code":0.0,"data":{}}"#, "plain"),
            (r#"{"code":-0,"data":{}}"#, "plain"),
            (r#"{"code":"0","data":{}}"#, "plain"),
            (r#"{"code":0,"message":"ok"}"#, "plain"),
            (r#"{"code":0,"message":"ok","data":{},"extra":1}"#, "plain"),
            (r#"{"code":0,"data":{}} trailing"#, "plain"),
            (r#"{"code":0,"data":{"#, "plain"),
            (r#"[{"code":0,"data":{}}]"#, "plain"),
            ("", "plain"),
            (r#"{"code":0,"data":1,"data":2}"#, "unsure"),
            (r#"{"code":0,"message":{"nested":1},"data":{}}"#, "unsure"),
            (r#"{"code":1,"message":{"nested":1},"data":{}}"#, "plain"),
        ] {
            assert_eq!(peek(body), expected, "{body}");
        }
    }
}
