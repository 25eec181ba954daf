"""Order classes: cohorts a partner firm sponsors, from proposal through selection to placement."""
