//! Statistics: sketches, distributions and special functions.

pub mod bins;
pub mod cdf;
pub mod ks_exact;
pub mod moments;
pub mod pvalues;
pub mod quantile;
pub mod ranks;
pub mod tdigest;
