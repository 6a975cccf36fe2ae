//! Attribute, event and span names the services emit: the stable HTTP
//! semantic conventions and the project's own names from docs/CONTRACT.md.

/// `http.request.method`
pub const HTTP_REQUEST_METHOD: &str = "http.request.method";
/// `http.request.method_original` (when the method is not a known one)
pub const HTTP_REQUEST_METHOD_ORIGINAL: &str = "http.request.method_original";
/// `http.route`
pub const HTTP_ROUTE: &str = "http.route";
/// `http.response.status_code` (int)
pub const HTTP_RESPONSE_STATUS_CODE: &str = "http.response.status_code";
/// `url.path`
pub const URL_PATH: &str = "url.path";
/// `url.scheme`
pub const URL_SCHEME: &str = "url.scheme";
/// `url.full`
pub const URL_FULL: &str = "url.full";
/// `server.address`
pub const SERVER_ADDRESS: &str = "server.address";
/// `server.port` (int)
pub const SERVER_PORT: &str = "server.port";
/// `client.address`
pub const CLIENT_ADDRESS: &str = "client.address";
/// `client.port` (int)
pub const CLIENT_PORT: &str = "client.port";
/// `network.protocol.version`
pub const NETWORK_PROTOCOL_VERSION: &str = "network.protocol.version";
/// `user_agent.original`
pub const USER_AGENT_ORIGINAL: &str = "user_agent.original";
/// `error.type`
pub const ERROR_TYPE: &str = "error.type";

/// The `exception` event and its attributes.
pub const EXCEPTION_EVENT: &str = "exception";
/// `exception.type`
pub const EXCEPTION_TYPE: &str = "exception.type";
/// `exception.message`
pub const EXCEPTION_MESSAGE: &str = "exception.message";

/// The only baggage key copied onto server spans (baggage can carry PII).
pub const LOADGEN_SCENARIO: &str = "loadgen.scenario";

/// `validate_order` span.
pub const VALIDATE_ORDER: &str = "validate_order";
/// `save_order` span.
pub const SAVE_ORDER: &str = "save_order";
/// `fraud_check` span.
pub const FRAUD_CHECK: &str = "fraud_check";
/// `charge_payment` span.
pub const CHARGE_PAYMENT: &str = "charge_payment";

/// `order.customer_id` (string)
pub const ORDER_CUSTOMER_ID: &str = "order.customer_id";
/// `order.item` (string)
pub const ORDER_ITEM: &str = "order.item";
/// `order.quantity` (int)
pub const ORDER_QUANTITY: &str = "order.quantity";
/// `order.amount` (double)
pub const ORDER_AMOUNT: &str = "order.amount";
/// `order.id` (string)
pub const ORDER_ID: &str = "order.id";
/// `payment.amount` (double)
pub const PAYMENT_AMOUNT: &str = "payment.amount";
/// `payment.id` (string)
pub const PAYMENT_ID: &str = "payment.id";
/// `fraud.threshold` (double)
pub const FRAUD_THRESHOLD: &str = "fraud.threshold";

/// Event on `save_order`.
pub const ORDER_SAVED_EVENT: &str = "order.saved";
/// Event on `charge_payment`.
pub const PAYMENT_CHARGED_EVENT: &str = "payment.charged";
/// Event on a fraudulent `fraud_check`.
pub const FRAUD_DETECTED_EVENT: &str = "fraud.detected";
