//! Builds `serde_json::Value` trees with fewer allocations than `Value::deserialize`.
//!
//! The workspace's `serde_json` keeps member order (`preserve_order`), so every object is
//! an `IndexMap` that grows by rehashing as members arrive, and every array a `Vec` that
//! grows by doubling. Here the members and elements of the containers being read wait on
//! one scratch stack, reused from message to message, and each container is allocated
//! once at its final size. The tree is the same as `Value::deserialize` builds: member
//! order, duplicate keys (the last value wins, in the first key's place), numbers, and
//! the depth limit of the underlying deserializer all behave alike.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Containers wait here until complete.
#[derive(Default)]
pub(crate) struct Scratch {
    members: Vec<(String, Value)>,
    elements: Vec<Value>,
}

/// Above this many slots the scratch stack is dropped after use instead of kept, so one
/// huge message does not pin its memory for the life of the thread.
const KEEP_SLOTS: usize = 4096;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch stack (a fresh one if it is already in use).
pub(crate) fn with_scratch<T>(f: impl FnOnce(&mut Scratch) -> T) -> T {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => {
            scratch.members.clear();
            scratch.elements.clear();
            let out = f(&mut scratch);
            if scratch.members.capacity() > KEEP_SLOTS || scratch.elements.capacity() > KEEP_SLOTS {
                *scratch = Scratch::default();
            } else {
                // An error can leave entries behind; drop them now rather than later.
                scratch.members.clear();
                scratch.elements.clear();
            }
            out
        }
        Err(_) => f(&mut Scratch::default()),
    })
}

/// Deserializes one JSON value with the scratch stack.
pub(crate) struct ValueSeed<'s>(pub(crate) &'s mut Scratch);

/// The key `serde_json` uses to pass a number through a map when its
/// `arbitrary_precision` feature is on (another crate in a build may enable it).
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        <Number as serde::Deserialize>::deserialize(de::value::I128Deserializer::<E>::new(v))
            .map(Value::Number)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        <Number as serde::Deserialize>::deserialize(de::value::U128Deserializer::<E>::new(v))
            .map(Value::Number)
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let scratch = self.0;
        let base = scratch.elements.len();
        while let Some(v) = seq.next_element_seed(ValueSeed(&mut *scratch))? {
            scratch.elements.push(v);
        }
        let items: Vec<Value> = scratch.elements.drain(base..).collect();
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let scratch = self.0;
        let base = scratch.members.len();
        let mut first = true;
        while let Some(key) = map.next_key::<String>()? {
            if first && key == NUMBER_TOKEN {
                let digits: String = map.next_value()?;
                return serde_json::from_str::<Number>(&digits)
                    .map(Value::Number)
                    .map_err(de::Error::custom);
            }
            first = false;
            let value = map.next_value_seed(ValueSeed(&mut *scratch))?;
            scratch.members.push((key, value));
        }
        let count = scratch.members.len() - base;
        let mut obj = Map::with_capacity(count);
        for (k, v) in scratch.members.drain(base..) {
            obj.insert(k, v);
        }
        Ok(Value::Object(obj))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(text: &str) -> (Result<Value, String>, Result<Value, String>) {
        let ours = with_scratch(|s| {
            let mut de = serde_json::Deserializer::from_str(text);
            let v = ValueSeed(s)
                .deserialize(&mut de)
                .map_err(|e| e.to_string())?;
            de.end().map_err(|e| e.to_string())?;
            Ok(v)
        });
        let theirs = serde_json::from_str::<Value>(text).map_err(|e| e.to_string());
        (ours, theirs)
    }

    #[test]
    fn builds_the_same_tree_as_value_deserialize() {
        for text in [
            r#"{"b":1,"a":[1,2.5,-3,{"x":null}],"c":{"d":"e\u00e9\n","f":[]},"g":{}}"#,
            r#"{"k":1,"k":2,"j":3}"#,
            r#"[[],[[]],{"a":[{"b":[]}]},true,false,null,1e400,18446744073709551615,-9223372036854775808]"#,
            r#""\ud83d\ude00""#,
            "12",
            r#"{"a":1,}"#,
            r#"[1,2"#,
            r#"{"a" 1}"#,
        ] {
            let (ours, theirs) = both(text);
            assert_eq!(ours, theirs, "{text}");
            if let Ok(v) = &ours {
                assert_eq!(
                    serde_json::to_string(v).ok(),
                    theirs
                        .as_ref()
                        .ok()
                        .and_then(|t| serde_json::to_string(t).ok()),
                    "member order of {text}"
                );
            }
        }
    }

    #[test]
    fn depth_limit_still_applies() {
        let deep = "[".repeat(200) + &"]".repeat(200);
        let (ours, theirs) = both(&deep);
        assert!(ours.is_err());
        assert_eq!(ours, theirs);
    }

    #[test]
    fn a_large_container_does_not_stay_in_the_scratch() {
        let big = format!("[{}0]", "0,".repeat(10_000));
        let (ours, _) = both(&big);
        assert_eq!(ours.map(|v| v.as_array().map(Vec::len)), Ok(Some(10_001)));
        SCRATCH.with(|c| assert!(c.borrow().elements.capacity() <= KEEP_SLOTS));
    }
}
