//! Cycle counts of `requant` and the SFU operations (owned by the SFU design).
