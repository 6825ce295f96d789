//! Confidence-based performance estimation (CBPE): the accuracy a model
//! should have on a window, from its predictions' confidences, before any
//! label of that window arrives. A calibration learned from labeled
//! predictions (`calibration`, isotonic as in NannyML) turns a confidence
//! into the probability of being right; a window's binned confidences
//! (`counts::ConfidenceCounts`) then give the expected accuracy with a
//! band, and for binary classifiers precision, recall and F1.

pub mod calibration;
pub mod counts;
pub mod estimate;
pub mod isotonic;
pub mod stream;
pub mod validation;
