"""The curriculum: modules read from courses/, quizzes, progress and search."""
