//! The shared timing model of the engine: closed-form cycle counts and the
//! constants of fetch, dispatch and DMA, used by the simulator and matched
//! by the hardware (see docs/engine.md §6).

pub mod matrix;
pub mod sfu;
