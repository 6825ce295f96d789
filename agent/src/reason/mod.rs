//! Root-cause reasoning: evidence in, ranked hypotheses and remedies out (pure).
