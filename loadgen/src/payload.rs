//! Realistic request bodies per scenario, generated once from the seed so a
//! run allocates nothing per request for them.

use bytes::Bytes;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::scenario::Scenario;

/// Bodies generated per scenario (a power of two, so picking is a mask).
const POOL_SIZE: usize = 512;

/// The ChaCha stream the pools are drawn from (distinct from the per-shard
/// streams of the planner, so every shard of a seed shares the pools).
const POOL_STREAM: u64 = u64::MAX;

const ITEMS: [&str; 12] = [
    "Keyboard",
    "Mouse",
    "Monitor",
    "USB-C Hub",
    "Webcam",
    "Headset",
    "Laptop Stand",
    "Desk Lamp",
    "Office Chair",
    "Notebook",
    "Docking Station",
    "Microphone",
];

const LUXURY_ITEMS: [&str; 5] = [
    "Watch",
    "Diamond Ring",
    "Gold Bar",
    "Sports Car",
    "Painting",
];

/// The ways an order is invalid per the contract (each gets a 422).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Invalidity {
    ZeroAmount,
    NegativeAmount,
    ZeroQuantity,
    NegativeQuantity,
    MissingCustomer,
    MissingItem,
    MissingQuantity,
    MissingAmount,
    NullAmount,
    EmptyCustomer,
    EmptyItem,
}

const INVALIDITIES: [Invalidity; 11] = [
    Invalidity::ZeroAmount,
    Invalidity::NegativeAmount,
    Invalidity::ZeroQuantity,
    Invalidity::NegativeQuantity,
    Invalidity::MissingCustomer,
    Invalidity::MissingItem,
    Invalidity::MissingQuantity,
    Invalidity::MissingAmount,
    Invalidity::NullAmount,
    Invalidity::EmptyCustomer,
    Invalidity::EmptyItem,
];

/// The bodies of every scenario; `health` has an empty body.
#[derive(Debug, Clone)]
pub(crate) struct Payloads {
    pools: [Vec<Bytes>; 3],
}

impl Payloads {
    /// Generates the pools from `seed`.
    pub(crate) fn generate(seed: u64) -> Payloads {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(POOL_STREAM);
        let valid = (0..POOL_SIZE).map(|_| valid_order(&mut rng)).collect();
        let invalid = (0..POOL_SIZE)
            .map(|i| invalid_order(&mut rng, INVALIDITIES[i % INVALIDITIES.len()]))
            .collect();
        let fraud = (0..POOL_SIZE).map(|_| fraud_order(&mut rng)).collect();
        Payloads {
            pools: [valid, invalid, fraud],
        }
    }

    /// The body for `scenario` chosen by the draw `r`.
    pub(crate) fn pick(&self, scenario: Scenario, r: u64) -> Bytes {
        match scenario {
            Scenario::Health => Bytes::new(),
            _ => self.pools[scenario.index()][(r as usize) & (POOL_SIZE - 1)].clone(),
        }
    }
}

/// An order's fields; `None` leaves the field out, `Some(Json::Null)` writes `null`.
struct Order {
    customer_id: Option<String>,
    item: Option<String>,
    quantity: Option<serde_json::Value>,
    amount: Option<serde_json::Value>,
}

impl Order {
    fn random(rng: &mut ChaCha8Rng, amount_cents: i64) -> Order {
        Order {
            customer_id: Some(format!("CUST-{}", rng.random_range(1..10_000))),
            item: Some(ITEMS[rng.random_range(0..ITEMS.len())].to_owned()),
            quantity: Some(rng.random_range(1..=10).into()),
            amount: Some(money(amount_cents)),
        }
    }

    fn to_bytes(&self) -> Bytes {
        let mut map = serde_json::Map::new();
        if let Some(c) = &self.customer_id {
            map.insert("customer_id".into(), c.clone().into());
        }
        if let Some(i) = &self.item {
            map.insert("item".into(), i.clone().into());
        }
        if let Some(q) = &self.quantity {
            map.insert("quantity".into(), q.clone());
        }
        if let Some(a) = &self.amount {
            map.insert("amount".into(), a.clone());
        }
        Bytes::from(serde_json::Value::Object(map).to_string())
    }
}

/// An amount in cents as a JSON number with two decimals at most.
fn money(cents: i64) -> serde_json::Value {
    serde_json::Number::from_f64(cents as f64 / 100.0)
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

fn valid_order(rng: &mut ChaCha8Rng) -> Bytes {
    // 0.01 ..= 10,000.00: at or below the fraud threshold.
    let cents = rng.random_range(1..=1_000_000);
    Order::random(rng, cents).to_bytes()
}

fn fraud_order(rng: &mut ChaCha8Rng) -> Bytes {
    // 10,000.01 ..= 99,999.99: above the fraud threshold.
    let cents = rng.random_range(1_000_001..10_000_000);
    let mut order = Order::random(rng, cents);
    if rng.random_bool(0.5) {
        order.customer_id = Some("CUST-SHADY".to_owned());
    }
    order.item = Some(LUXURY_ITEMS[rng.random_range(0..LUXURY_ITEMS.len())].to_owned());
    order.to_bytes()
}

fn invalid_order(rng: &mut ChaCha8Rng, how: Invalidity) -> Bytes {
    let cents = rng.random_range(1..=1_000_000);
    let mut order = Order::random(rng, cents);
    match how {
        Invalidity::ZeroAmount => order.amount = Some(0.into()),
        Invalidity::NegativeAmount => order.amount = Some(money(-cents)),
        Invalidity::ZeroQuantity => order.quantity = Some(0.into()),
        Invalidity::NegativeQuantity => order.quantity = Some(rng.random_range(-5..0).into()),
        Invalidity::MissingCustomer => order.customer_id = None,
        Invalidity::MissingItem => order.item = None,
        Invalidity::MissingQuantity => order.quantity = None,
        Invalidity::MissingAmount => order.amount = None,
        Invalidity::NullAmount => order.amount = Some(serde_json::Value::Null),
        Invalidity::EmptyCustomer => order.customer_id = Some(String::new()),
        Invalidity::EmptyItem => order.item = Some(String::new()),
    }
    order.to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn pool(p: &Payloads, scenario: Scenario) -> Vec<Value> {
        (0..POOL_SIZE as u64)
            .map(|r| serde_json::from_slice(&p.pick(scenario, r)).unwrap())
            .collect()
    }

    #[test]
    fn valid_orders_are_complete_and_below_the_fraud_threshold() {
        for order in pool(&Payloads::generate(1), Scenario::Valid) {
            assert!(order["customer_id"].as_str().unwrap().starts_with("CUST-"));
            assert!(!order["item"].as_str().unwrap().is_empty());
            assert!(order["quantity"].as_i64().unwrap() > 0);
            let amount = order["amount"].as_f64().unwrap();
            assert!(amount > 0.0 && amount <= 10_000.0, "{order}");
        }
    }

    #[test]
    fn fraud_orders_are_valid_but_above_the_threshold() {
        for order in pool(&Payloads::generate(2), Scenario::Fraud) {
            assert!(order["amount"].as_f64().unwrap() > 10_000.0, "{order}");
            assert!(order["quantity"].as_i64().unwrap() > 0);
        }
    }

    #[test]
    fn invalid_orders_cover_every_kind_of_invalidity() {
        let orders = pool(&Payloads::generate(3), Scenario::Invalid);
        let has = |f: &dyn Fn(&Value) -> bool| orders.iter().any(f);
        assert!(has(&|o| o["amount"].as_f64() == Some(0.0)));
        assert!(has(&|o| o["amount"].as_f64().is_some_and(|a| a < 0.0)));
        assert!(has(&|o| o["quantity"].as_i64() == Some(0)));
        assert!(has(&|o| o["quantity"].as_i64().is_some_and(|q| q < 0)));
        for field in ["customer_id", "item", "quantity", "amount"] {
            assert!(has(&|o| o.get(field).is_none()), "missing {field}");
        }
        assert!(has(&|o| o.get("amount") == Some(&Value::Null)));
        assert!(has(&|o| o["customer_id"] == ""));
        assert!(has(&|o| o["item"] == ""));
    }

    #[test]
    fn the_same_seed_gives_the_same_bodies() {
        let (a, b, c) = (
            Payloads::generate(9),
            Payloads::generate(9),
            Payloads::generate(10),
        );
        assert_eq!(a.pick(Scenario::Valid, 7), b.pick(Scenario::Valid, 7));
        assert_ne!(
            pool(&a, Scenario::Valid),
            pool(&c, Scenario::Valid),
            "another seed gives other bodies"
        );
        assert!(a.pick(Scenario::Health, 3).is_empty());
    }
}
