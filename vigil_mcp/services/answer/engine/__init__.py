"""Proactive drafting engines: the offline (deterministic) one and the Anthropic one."""
