//! listUsers' opaque keyset cursor: the order it belongs to and where the
//! previous page ended, as Base58 over a small JSON object.

use serde::{Deserialize, Serialize};

use crate::db::users::{KeysetAfter, KeysetField, KeysetValue};
use crate::domain::{PublicId, time};

#[derive(Serialize, Deserialize)]
struct Position {
    /// The order, e.g. `CREATED_AT:DESC`: a cursor is valid for it only.
    o: String,
    /// The last row's sort value.
    v: String,
    /// The last row's id.
    id: String,
}

fn order_key(field: KeysetField, descending: bool) -> String {
    let field = match field {
        KeysetField::Created => "CREATED_AT",
        KeysetField::Name => "FULL_NAME",
        KeysetField::Email => "EMAIL_ADDRESS",
    };
    format!("{field}:{}", if descending { "DESC" } else { "ASC" })
}

pub fn encode(field: KeysetField, descending: bool, after: &KeysetAfter) -> String {
    let v = match &after.value {
        KeysetValue::Time(t) => time::format(t),
        KeysetValue::Text(s) => s.clone(),
    };
    let position = Position {
        o: order_key(field, descending),
        v,
        id: after.id.clone(),
    };
    bs58::encode(serde_json::to_vec(&position).expect("a position serializes")).into_string()
}

/// The position a cursor names, if it is one of ours for this order.
pub fn decode(raw: &str, field: KeysetField, descending: bool) -> Result<KeysetAfter, String> {
    let invalid = || "Invalid cursor: pass a next_cursor returned by listUsers.".to_owned();
    let bytes = bs58::decode(raw.trim()).into_vec().map_err(|_| invalid())?;
    let position: Position = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if position.o != order_key(field, descending) {
        return Err(format!(
            "Invalid cursor: it belongs to order {}, not {}.",
            position.o,
            order_key(field, descending)
        ));
    }
    let id = PublicId::parse(&position.id).ok_or_else(invalid)?;
    let value = match field {
        KeysetField::Created => KeysetValue::Time(time::parse(&position.v).map_err(|_| invalid())?),
        KeysetField::Name | KeysetField::Email => KeysetValue::Text(position.v),
    };
    Ok(KeysetAfter {
        value,
        id: id.into_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_for_its_order_only() {
        let after = KeysetAfter {
            value: KeysetValue::Time(time::parse("2026-11-28T13:27:43.820830Z").unwrap()),
            id: PublicId::random().into_string(),
        };
        let cursor = encode(KeysetField::Created, true, &after);
        assert_eq!(decode(&cursor, KeysetField::Created, true), Ok(after));
        assert!(decode(&cursor, KeysetField::Created, false).is_err());
        assert!(decode(&cursor, KeysetField::Name, true).is_err());
        assert!(decode("not a cursor", KeysetField::Created, true).is_err());
        assert!(decode("", KeysetField::Created, true).is_err());
    }

    #[test]
    fn text_positions_keep_their_value() {
        let after = KeysetAfter {
            value: KeysetValue::Text("Zoë \"Z\" Smith".into()),
            id: PublicId::random().into_string(),
        };
        let cursor = encode(KeysetField::Name, false, &after);
        assert_eq!(decode(&cursor, KeysetField::Name, false), Ok(after));
    }
}
