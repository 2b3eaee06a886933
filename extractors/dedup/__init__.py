"""How duplicates are found: fingerprints, and the decision against what is stored."""
