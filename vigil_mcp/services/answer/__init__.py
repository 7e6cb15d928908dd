"""The answer path: one customer message -> speak or not, and what to say."""
