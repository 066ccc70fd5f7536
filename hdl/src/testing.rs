//! Helpers shared by the unit tests of the engine's blocks.

pub mod icarus;
