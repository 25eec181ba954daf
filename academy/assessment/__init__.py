"""Assessment: rubric grading of practice streams, the gradebook, track certificates."""
