"""Commit analysis: cache, LLM with structured output, heuristic fallback."""
