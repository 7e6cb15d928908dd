"""Self-improvement: learn from resolved cases into knowledge (Q&A) and skills."""
