//! The benchmarks' ~1 KB order (about 20 fields: strings, numbers, a null, a nested record, arrays), the
//! same value the codecs bench encodes and the harness's Avro rows write (benches/messages.py's `order`
//! is the same in Python).

use serde_json::{json, Value};

/// The order with this id.
pub fn order(id: i64) -> Value {
    json!({
        "id": id,
        "customer_id": format!("c-{id:09}"),
        "customer_name": "Ann Example-Customer",
        "email": "ann@example.com",
        "quantity": 3,
        "unit_price": 19.99,
        "total": 59.97,
        "discount": null,
        "created_at": 1_700_000_000_000i64,
        "updated_at": 1_700_000_360_000i64,
        "status": "PAID",
        "priority": 2,
        "notes": "Please ring twice. Leave the parcel with the neighbour on the second floor if nobody is home. \
                  The dog is friendly. Deliveries after 18:00 are preferred on weekdays; weekends any time. \
                  Invoice to the company address, reference PO-2024-000123, cost centre 4711, attention accounts \
                  payable, and include the delivery note in the parcel please. Items in this order were picked \
                  from two locations and consolidated at the packing station; check the seal on the outer box \
                  before signing. Returns within thirty days are free of charge with the enclosed label, and an \
                  exchange can be arranged through the customer portal or by calling the service desk.",
        "gift": false,
        "address": {"street": "Example Street 42, Building C, Floor 2", "city": "Amsterdam", "zip": "1011 AB", "country": "NL"},
        "tags": ["express", "fragile", "gift-wrap", "priority", "eu", "returning-customer", "newsletter", "b2b"],
        "line_ids": [1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010],
        "weight": 2.75,
        "warehouse": 17,
        "channel": "web"
    })
}
