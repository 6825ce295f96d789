//! get_feature_distribution (in progress).
